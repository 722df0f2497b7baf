"""`svodka`: the command line. Each command is a thin shell over the composition root."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from infra.settings import Settings, load_settings
from infra.backup_cli import backup_command, restore_command
from infra.tokens_cli import tokens_cli

cli = typer.Typer(
    help="svodka: event-sourced counts of detentions and police checkpoints.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
audit = typer.Typer(help="Export the event log and verify it independently.", no_args_is_help=True)
cli.add_typer(audit, name="audit")
cli.add_typer(tokens_cli, name="tokens")
cli.command("backup")(backup_command)
cli.command("restore")(restore_command)
log = logging.getLogger("svodka")


def settings_or_exit() -> Settings:
    """Configuration errors are the operator's to fix: say which variable, not a traceback."""
    from infra.logs import configure_logging

    try:
        settings = load_settings()
    except (ValidationError, ValueError) as error:
        typer.secho(f"svodka: configuration error:\n{_explain(error)}", err=True, fg="red")
        raise typer.Exit(2) from None
    secrets = [s.get_secret_value() for s in (settings.telegram_bot_token, settings.webhook_secret) if s]
    for tokens in settings.tokens_by_role.values():
        secrets.extend(tokens)
    configure_logging(settings.log_level, settings.log_format, secrets)
    return settings


def _explain(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return "\n".join(f"  {e['msg'].removeprefix('Value error, ')}" for e in error.errors())
    return f"  {error}"


def not_built(what: str) -> None:
    typer.secho(f"svodka: {what} is not built yet.", err=True, fg="yellow")
    raise typer.Exit(3)


HostOpt = Annotated[str | None, typer.Option(help="Address to listen on [default: SVODKA_HOST or 127.0.0.1]")]
PortOpt = Annotated[int | None, typer.Option(help="Port to listen on [default: SVODKA_PORT or 8000]")]


@cli.command()
def serve(host: HostOpt = None, port: PortOpt = None) -> None:
    """Run everything in one process: event store, projections, API and (with a token) the bot."""
    from infra.parts import serve_parts
    from infra.runner import run

    settings = settings_or_exit()
    run(settings, serve_parts(settings), host=host or settings.host, port=port or settings.port)


@cli.command()
def api(
    host: HostOpt = None,
    port: PortOpt = None,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Worker processes sharing the port")] = 1,
) -> None:
    """Run the HTTP API alone (the projector runs elsewhere: `svodka project`)."""
    from infra.runner import run, run_workers

    settings = settings_or_exit()
    if workers > 1:
        run_workers(settings, host=host or settings.host, port=port or settings.port, workers=workers)
        return
    run(settings, [], host=host or settings.host, port=port or settings.port)


@cli.command()
def bot() -> None:
    """Run the Telegram bot alone (long polling, or a webhook when WEBHOOK_URL is set)."""
    from infra.runner import run

    settings = settings_or_exit()
    from infra.bot_part import bot as bot_part
    from infra.bot_part import webhook_problem

    problem = "set TELEGRAM_BOT_TOKEN to run the bot" if settings.telegram_bot_token is None else webhook_problem(settings)
    if problem:
        typer.secho(f"svodka: {problem}.", err=True, fg="red")
        raise typer.Exit(2)

    run(settings, [bot_part])


@cli.command()
def project() -> None:
    """Run the projector alone: fold new events into the read model."""
    from infra.audit_part import chain_part
    from infra.projector_part import projector
    from infra.runner import run

    # The audit chain follows the same log, so heads are signed wherever the projector runs.
    run(settings_or_exit(), [projector, chain_part])


@cli.command()
def replay(
    verify: Annotated[
        bool, typer.Option("--verify", help="Compare with the live read model instead of swapping; exit 1 on any difference")
    ] = False,
) -> None:
    """Rebuild every projection from position 0 and swap it in."""
    from infra.bootstrap import services
    from infra.projector_part import replay as run_replay

    with services(settings_or_exit()) as svc:
        code = run_replay(svc, verify=verify)
    raise typer.Exit(code)


@audit.command("export")
def audit_export(
    file: Path,
    figures: Annotated[bool, typer.Option(help="Include the read model's published figures")] = True,
) -> None:
    """Write the event log, without secrets, to FILE; exit 1 if the live log contradicts its chain."""
    from infra.audit import run_export

    raise typer.Exit(run_export(settings_or_exit(), file, figures))


@audit.command("verify")
def audit_verify(
    file: Path,
    key: Annotated[str | None, typer.Option(help="The server's public key (base64) to trust")] = None,
    against: Annotated[str | None, typer.Option(help="A running server's URL to compare /v1/stats with")] = None,
    heads: Annotated[Path | None, typer.Option(help="Heads you archived from /v1/audit/head(s), to check too")] = None,
) -> None:
    """Recompute the hash chain and every public figure from FILE, offline; exit 1 at a divergence."""
    from infra.audit import run_verify

    raise typer.Exit(run_verify(file, key, against, heads))


def main() -> None:
    cli()
