"""`svodka tokens add|list|revoke`: the commands over infra/tokens.py (imported when run, so
`svodka --help` stays quick)."""

from __future__ import annotations

from typing import Annotated

import typer

from infra.exits import CONFIGURATION, fail

tokens_cli = typer.Typer(help="Issue, list and revoke API tokens; workers see changes within seconds.",
                         no_args_is_help=True)  # fmt: skip
NameArg = Annotated[str, typer.Argument(help="Who holds the token (a hotline, a moderator); recorded on decisions")]


def _database():
    from infra.exits import settings_or_exit
    from infra.database import open_database

    return open_database(settings_or_exit())


@tokens_cli.command("add")
def add_command(
    name: NameArg,
    role: Annotated[str, typer.Option(help="operator (intake) or moderator")] = "operator",
) -> None:
    """Issue a token and print it once: it cannot be shown again."""
    if role not in ("operator", "moderator"):
        raise fail("--role is operator or moderator.", CONFIGURATION)
    if not name.strip() or len(name) > 100:
        raise fail("NAME must be 1 to 100 characters.", CONFIGURATION)
    from infra.tokens import TokenExists, issue

    with _database() as db:
        try:
            token = issue(db, name, role)  # type: ignore[arg-type]
        except TokenExists:
            raise fail(f"a token named {name!r} exists; revoke it first.", CONFIGURATION) from None
    typer.echo(token)
    typer.secho(f"{role} token for {name!r}: shown once, keep it now.", err=True)


@tokens_cli.command("list")
def list_command() -> None:
    """Names, roles, when issued and last used; never a token."""
    from infra.tokens import listing

    with _database() as db:
        found = listing(db)
    typer.echo(f"{'name':<24} {'role':<10} {'created':<20} last used")
    for t in found:
        used = t.last_used_at.strftime("%Y-%m-%d %H:%M") if t.last_used_at else "never"
        typer.echo(f"{t.name:<24} {t.role:<10} {t.created_at.strftime('%Y-%m-%d %H:%M'):<20} {used}")


@tokens_cli.command("revoke")
def revoke_command(name: NameArg) -> None:
    """Revoke a token: every API worker refuses it within seconds."""
    from infra.tokens import revoke

    with _database() as db:
        gone = revoke(db, name)
    if not gone:
        raise fail(f"no token named {name!r}.", CONFIGURATION)
    typer.echo(f"revoked {name!r}")
