"""`svodka backup DIR` and `svodka restore DIR`: the commands over infra/backup.py."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from infra.exits import CONFIGURATION, fail

PassphraseFile = Annotated[
    Path | None,
    typer.Option(help="Read the passphrase from this file (scripts, tests) instead of asking for it"),
]


def _passphrase(path: Path | None, *, confirm: bool) -> str:
    if path is not None:
        return path.read_text(encoding="utf-8").rstrip("\n")
    return typer.prompt("Passphrase for the secrets", hide_input=True, confirmation_prompt=confirm)


def backup_command(directory: Annotated[Path, typer.Argument(help="A new, empty directory")],
                   passphrase_file: PassphraseFile = None) -> None:  # fmt: skip
    """Back up the event store (pg_dump, one snapshot) and the secrets, sealed under a passphrase."""
    from importlib.metadata import version

    from infra.backup import BackupError, backup
    from infra.exits import settings_or_exit
    from infra.database import open_database
    from infra.keys import load_keys

    settings = settings_or_exit()
    passphrase = _passphrase(passphrase_file, confirm=True)
    if len(passphrase) < 12:
        raise fail("use a passphrase of 12 characters or more.", CONFIGURATION)
    try:
        with open_database(settings) as db:
            made = backup(db, load_keys(settings), directory, passphrase, software=f"svodka {version('svodka')}")
    except BackupError as error:
        raise fail(str(error), error.status) from None
    typer.echo(f"backed up {made.data['events']:,} events (position {made.data['position']:,}) to {directory}")
    typer.echo("Keep the passphrase apart from the backup: without it the master key, and so every event, is lost.")


def restore_command(
    directory: Annotated[Path, typer.Argument(help="A directory written by `svodka backup`")],
    secrets_to: Annotated[Path, typer.Option(help="Where to write the secrets, one file per variable, "
                                                  "for SVODKA_SECRETS_DIR")],
    passphrase_file: PassphraseFile = None,
) -> None:  # fmt: skip
    """Restore a backup into an empty database (DATABASE_URL, SVODKA_DB_SCHEMA)."""
    from infra.backup import BackupError, restore
    from infra.exits import settings_or_exit
    from infra.database import open_database

    settings = settings_or_exit()
    try:
        with open_database(settings) as db:
            done = restore(db, directory, _passphrase(passphrase_file, confirm=False), secrets_to)
    except BackupError as error:
        raise fail(str(error), error.status) from None
    typer.echo(f"restored {done.data['events']:,} events (position {done.data['position']:,}) "
               f"into schema {done.schema}; secrets written to {secrets_to}")  # fmt: skip
    typer.echo(f"Next: SVODKA_SECRETS_DIR={secrets_to} svodka replay, then start the services.")
