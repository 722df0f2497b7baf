"""`svodka keys rotate`: move every data key and event under a new master key (infra/keyrotation.py,
imported when run, so `svodka --help` stays quick)."""

from __future__ import annotations

import base64
import os
from pathlib import Path
from typing import Annotated

import typer

keys_cli = typer.Typer(help="Rotate the master key; see docs/THREAT_MODEL.md, \"Keys\".", no_args_is_help=True)


@keys_cli.command("rotate")
def rotate_command(
    to: Annotated[Path, typer.Option(help="A directory for the new secrets (SVODKA_SECRETS_DIR form); "
                                          "if it holds SVODKA_MASTER_KEY already, an interrupted rotation resumes")],
    batch: Annotated[int, typer.Option(min=1, max=100_000, help="Rows per transaction")] = 500,
) -> None:
    """Re-wrap every data key and re-encrypt every event under a new master key, resumably.

    Stop svodka first. When it is done, point SVODKA_SECRETS_DIR at the directory (or copy its
    three files where your secrets live), start svodka, then destroy the old master key and back
    up the new files apart from the database."""
    from infra.cli import settings_or_exit
    from infra.database import open_database
    from infra.keyrotation import rotate, rotated_keys
    from infra.keys import load_keys

    settings = settings_or_exit()
    with open_database(settings) as db:
        keys = load_keys(settings)
        new_master = _secret(to / "SVODKA_MASTER_KEY", base64.b64encode(os.urandom(32)).decode())
        new = rotated_keys(keys, base64.b64decode(new_master))
        if new.master_key == keys.master_key:
            typer.secho("svodka: the new master key is the one in use; nothing to rotate.", err=True, fg="red")
            raise typer.Exit(2)
        _secret(to / "SVODKA_SECRET", keys.secret.decode())
        _secret(to / "SVODKA_AUDIT_KEY", base64.b64encode(new.audit_key or b"").decode())

        def progress(what: str, done: int) -> None:
            typer.echo(f"{what}: {done} rewritten", err=True)

        done = rotate(db, keys, new.master_key, batch=batch, progress=progress)
    typer.echo(f"rotated: {done.rewrapped} data keys re-wrapped, {done.reencrypted} events re-encrypted; "
               f"new secrets in {to}")


def _secret(path: Path, value: str) -> str:
    """The file's value if it exists (a resumed run), else `value`, written once with mode 0600."""
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(value + "\n")
    return value
