"""How every command ends: a documented exit status, and for a failure one line naming its cause.

Operators script around these statuses (systemd restarts, CI checks); a traceback tells them
nothing they can act on. The CLI and the runner both use this module, so neither imports the other.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer
from pydantic import ValidationError

if TYPE_CHECKING:
    from infra.settings import Settings

OK = 0
DIVERGED = 1  # audit verify / replay --verify / audit export found a difference
CONFIGURATION = 2  # a variable, option, file or key the operator must fix (also usage errors)
NOT_BUILT = 3  # a part that is not built yet
DATABASE = 4  # the database cannot be reached or refuses (wrong DATABASE_URL, no such database)
ADDRESS = 5  # the port is taken or the address cannot be listened on

STATUSES = {
    OK: "success",
    DIVERGED: "a verification found a difference",
    CONFIGURATION: "configuration or usage error: a variable, option, file or key to fix",
    NOT_BUILT: "that part is not built yet",
    DATABASE: "the database cannot be reached or refused the connection",
    ADDRESS: "the address or port cannot be listened on (already in use?)",
}
HELP = "Exit statuses: " + "; ".join(f"{code} {meaning}" for code, meaning in STATUSES.items()) + "."


class Failure(Exception):
    """A failure the operator can fix, with the exit status it ends the command with."""

    status = CONFIGURATION


class DatabaseUnavailable(Failure):
    status = DATABASE


class AddressInUse(Failure):
    status = ADDRESS


def fail(message: str, status: int) -> typer.Exit:
    """Print `svodka: message` on stderr; raise what this returns to end with `status`."""
    typer.secho(f"svodka: {message}", err=True, fg="red")
    return typer.Exit(status)


def settings_or_exit() -> Settings:
    """Configuration errors are the operator's to fix: say which variable, not a traceback."""
    from infra.logs import configure_logging
    from infra.settings import load_settings

    try:
        settings = load_settings()
        tokens = settings.tokens_by_role  # parsed here, so a malformed list is a configuration error
    except (ValidationError, ValueError) as error:
        raise fail(f"configuration error: {explain(error)}", CONFIGURATION) from None
    secrets = [s.get_secret_value() for s in (settings.telegram_bot_token, settings.webhook_secret) if s]
    for by_token in tokens.values():
        secrets.extend(by_token)
    configure_logging(settings.log_level, settings.log_format, secrets)
    if settings.database_url is not None:
        from infra.database import Database, check_reachable

        # Every command that reads settings uses the database: a wrong DATABASE_URL fails here,
        # in seconds, before the heavy imports of the part it would have started.
        try:
            check_reachable(Database(settings.database_url.get_secret_value()))
        except Failure as failure:
            raise fail(str(failure), failure.status) from None
    return settings


def explain(error: Exception) -> str:
    """One line per problem, each naming its variable."""
    if not isinstance(error, ValidationError):
        return str(error)
    from infra.settings import Settings

    problems = []
    for item in error.errors():
        message = item["msg"].removeprefix("Value error, ")
        variable = _variable(Settings, item.get("loc", ()))
        if variable and variable not in message:
            message = f"{variable}: {message}"
        problems.append(message)
    return "; ".join(problems)


def _variable(settings: type, loc: tuple) -> str | None:
    """The environment variable behind a pydantic error location."""
    if not loc:
        return None
    name = str(loc[0])
    field = settings.model_fields.get(name)
    if field is None:  # the location is already the alias (the variable's own name)
        return name.upper() if name.upper() != name.lower() else None
    alias = field.validation_alias
    choices = getattr(alias, "choices", None)
    return str(choices[0]) if choices else str(alias or name).upper()
