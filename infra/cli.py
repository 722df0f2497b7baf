"""`svodka`: the command line. Each command is a thin shell over the composition root."""

from __future__ import annotations

import base64
import binascii
import logging
from pathlib import Path
from typing import Annotated

import typer
from typer.core import TyperGroup

from infra.backup_cli import backup_command, restore_command
from infra.exits import CONFIGURATION, HELP, NOT_BUILT, Failure, fail, settings_or_exit
from infra.outward_cli import bulletin_commands, outbox_command, webhooks_command
from infra.tokens_cli import tokens_cli

__all__ = ["cli", "main", "settings_or_exit"]  # settings_or_exit: the commands in other modules use it


class Commands(TyperGroup):
    """Every command, its subcommands included, ends a Failure with one line and its status."""

    def invoke(self, ctx: typer.Context):  # type: ignore[no-untyped-def]
        try:
            return super().invoke(ctx)
        except Failure as failure:
            raise fail(str(failure), failure.status) from None


cli = typer.Typer(
    cls=Commands,
    help="svodka: event-sourced counts of detentions and police checkpoints.",
    epilog=HELP,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
audit = typer.Typer(help="Export the event log and verify it independently.", no_args_is_help=True)
cli.add_typer(audit, name="audit")
cli.add_typer(tokens_cli, name="tokens")
cli.add_typer(__import__("infra.keys_cli", fromlist=["keys_cli"]).keys_cli, name="keys")  # svodka keys rotate
cli.command("backup")(backup_command)
cli.command("restore")(restore_command)
log = logging.getLogger("svodka")


def not_built(what: str) -> None:
    typer.secho(f"svodka: {what} is not built yet.", err=True, fg="yellow")
    raise typer.Exit(NOT_BUILT)


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
    from infra.audit.part import chain_part
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
    from infra.audit.commands import run_export

    raise typer.Exit(run_export(settings_or_exit(), file, figures))


@audit.command("verify")
def audit_verify(
    file: Path,
    key: Annotated[str | None, typer.Option(help="The server's public key (base64) to trust")] = None,
    against: Annotated[str | None, typer.Option(help="A running server's URL to compare /v1/stats with")] = None,
    heads: Annotated[Path | None, typer.Option(help="Heads you archived from /v1/audit/head(s), to check too")] = None,
) -> None:
    """Recompute the hash chain and every public figure from FILE, offline; exit 1 at a divergence."""
    from infra.audit.commands import run_verify

    for path, what in ((file, "the export"), (heads, "--heads")):
        if path is not None and not path.is_file():
            raise fail(f"{what}: no such file: {path}", CONFIGURATION)
    if key is not None:
        try:
            raw = base64.b64decode(key, validate=True)
        except (binascii.Error, ValueError):
            raw = b""
        if len(raw) != 32:
            raise fail("--key must be the server's Ed25519 public key: base64 of 32 bytes (/v1/audit/key)",
                       CONFIGURATION)
    try:
        code = run_verify(file, key, against, heads)
    except (OSError, UnicodeDecodeError) as error:
        raise fail(f"cannot read {error.filename or 'the file'}: {error.strerror or error}"
                   if isinstance(error, OSError) else f"the files must be UTF-8 text: {error.reason}",
                   CONFIGURATION) from None
    except ValueError as error:  # a heads file that is not JSON (an export's own lines are checked)
        raise fail(f"--heads {heads}: {error}", CONFIGURATION) from None
    raise typer.Exit(code)


cli.add_typer(bulletin_commands, name="bulletin")
cli.command("webhooks")(webhooks_command)
cli.command("outbox")(outbox_command)


def main() -> None:
    cli()
