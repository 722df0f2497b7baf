"""The restore drill: back up, restore into a fresh database, replay, same figures, same heads."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import uuid
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from typer.testing import CliRunner

from infra.audit.part import public_key, run_to_completion
from infra.bootstrap import build_application
from infra.cli import cli
from infra.database import Database
from infra.keys import Keys
from infra.keystore import PostgresKeyStore
from projections import queries, schema
from projections.chain import heads_after
from projections.projector import Projector, connect
from tests.audit.conftest import seed

PASSPHRASE = "correct horse battery staple"


async def _figures(db: Database) -> list:
    conn = await connect(db.url, db.schema)
    try:
        return [await queries.stats(conn, kind=kind, group_by=("day", "region", "city"))
                for kind in ("detention", "checkpoint")]  # fmt: skip
    finally:
        await conn.close()


async def _project_and_heads(db: Database, app) -> list[dict]:
    conn = await connect(db.url, db.schema)
    try:
        await schema.create(conn)
        await Projector(app.mapper).catch_up(conn)
        return [h.as_json() for h in await heads_after(conn, f'"{db.schema}"')]
    finally:
        await conn.close()


@pytest.fixture
def fresh_database(server_url):
    """A new, empty database on the same server: where a restore lands."""
    name = f"drill_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield urlunsplit(urlsplit(server_url)._replace(path=f"/{name}"))
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


def _configure(monkeypatch, url: str, schema_name: str, **more: str) -> None:
    for name, value in {"DATABASE_URL": url, "SVODKA_DB_SCHEMA": schema_name, "SVODKA_LOG_FORMAT": "text", **more}.items():
        monkeypatch.setenv(name, value)


@pytest.mark.slow
def test_backup_restore_replay_gives_the_same_figures_and_heads(db, tmp_path, monkeypatch, fresh_database):
    keys = Keys(secret=os.urandom(24).hex().encode(), master_key=os.urandom(32))
    store = PostgresKeyStore(db)
    app = build_application(keys, db, store)
    seeded = seed(app)
    run_to_completion(db, app, keys)  # heads are signed as the chain part would
    heads = asyncio.run(_project_and_heads(db, app))
    before = asyncio.run(_figures(db))
    archive = tmp_path / "heads.json"
    archive.write_text(json.dumps(heads))  # an auditor's copy, kept apart from the server
    (tmp_path / "pass").write_text(PASSPHRASE + "\n")
    runner = CliRunner()

    _configure(monkeypatch, db.url, db.schema, SVODKA_SECRET=keys.secret.decode(),
               SVODKA_MASTER_KEY=base64.b64encode(keys.master_key).decode())  # fmt: skip
    made = runner.invoke(cli, ["backup", str(tmp_path / "backup"), "--passphrase-file", str(tmp_path / "pass")])
    assert made.exit_code == 0, made.output
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    assert manifest["events"] == manifest["position"] == 12 and manifest["audit_head_position"] == 12 and manifest["schema"] == db.schema
    sealed = (tmp_path / "backup" / "secrets.enc").read_text()
    assert base64.b64encode(keys.master_key).decode() not in sealed and keys.secret.decode() not in sealed
    app.close()
    store.close()

    # A new server: only the database URL; the secrets come out of the backup.
    monkeypatch.delenv("SVODKA_SECRET")
    monkeypatch.delenv("SVODKA_MASTER_KEY")
    _configure(monkeypatch, fresh_database, db.schema)
    secrets = tmp_path / "restored-secrets"
    wrong = tmp_path / "wrong"
    wrong.write_text("not the passphrase at all")
    refused = runner.invoke(cli, ["restore", str(tmp_path / "backup"), "--secrets-to", str(secrets),
                                  "--passphrase-file", str(wrong)])  # fmt: skip
    assert refused.exit_code == 2 and "passphrase" in refused.output
    restored = runner.invoke(cli, ["restore", str(tmp_path / "backup"), "--secrets-to", str(secrets),
                                   "--passphrase-file", str(tmp_path / "pass")])  # fmt: skip
    assert restored.exit_code == 0, restored.output
    assert oct((secrets / "SVODKA_MASTER_KEY").stat().st_mode & 0o777) == "0o600"
    again = runner.invoke(cli, ["restore", str(tmp_path / "backup"), "--secrets-to", str(secrets),
                                "--passphrase-file", str(tmp_path / "pass")])  # fmt: skip
    assert again.exit_code == 2 and "empty database" in again.output

    monkeypatch.setenv("SVODKA_SECRETS_DIR", str(secrets))
    replayed = runner.invoke(cli, ["replay"])
    assert replayed.exit_code == 0, replayed.output
    target = Database(fresh_database, db.schema)
    assert asyncio.run(_figures(target)) == before

    # Personal data still opens: the wrapped reporter keys came back with the events.
    restored_app = build_application(keys, target, PostgresKeyStore(target))
    assert restored_app.personal_fields(seeded["moscow"])["description"] == "у метро"
    restored_app.close()

    exported = runner.invoke(cli, ["audit", "export", str(tmp_path / "log.jsonl")])
    assert exported.exit_code == 0, exported.output
    key = base64.b64encode(public_key(keys)).decode()
    verified = runner.invoke(cli, ["audit", "verify", str(tmp_path / "log.jsonl"), "--key", key,
                                   "--heads", str(archive)])  # fmt: skip
    assert verified.exit_code == 0, verified.output
    assert "no divergence" in verified.output


def test_a_tampered_backup_is_refused(db, tmp_path, monkeypatch):
    keys = Keys(secret=os.urandom(24).hex().encode(), master_key=os.urandom(32))
    app = build_application(keys, db, PostgresKeyStore(db))
    seed(app)
    app.close()
    _configure(monkeypatch, db.url, db.schema, SVODKA_SECRET=keys.secret.decode(),
               SVODKA_MASTER_KEY=base64.b64encode(keys.master_key).decode())  # fmt: skip
    (tmp_path / "pass").write_text(PASSPHRASE)
    runner = CliRunner()
    assert runner.invoke(cli, ["backup", str(tmp_path / "b"), "--passphrase-file", str(tmp_path / "pass")]).exit_code == 0
    not_empty = runner.invoke(cli, ["backup", str(tmp_path / "b"), "--passphrase-file", str(tmp_path / "pass")])
    assert not_empty.exit_code == 2 and "not empty" in not_empty.output
    with (tmp_path / "b" / "database.dump").open("r+b") as dump:
        dump.seek(100)
        dump.write(b"\x00\x01\x02")
    result = runner.invoke(cli, ["restore", str(tmp_path / "b"), "--secrets-to", str(tmp_path / "s"),
                                 "--passphrase-file", str(tmp_path / "pass")])  # fmt: skip
    assert result.exit_code == 1 and "checksum" in result.output  # a verification found a difference


def test_the_sealed_secrets_carry_the_audit_key_a_rotation_made():
    from infra.backup import open_secrets, seal_secrets
    from infra.keys import Keys

    plain = Keys(secret=b"s" * 40, master_key=os.urandom(32))
    assert set(open_secrets(seal_secrets(plain, "pass phrase"), "pass phrase")) == {"SVODKA_SECRET", "SVODKA_MASTER_KEY"}
    # After `svodka keys rotate` the audit keys no longer derive from the master key: losing them
    # would change the public signing key and every audit pseudonym.
    rotated = Keys(secret=b"s" * 40, master_key=os.urandom(32), audit_key=os.urandom(64))
    opened = open_secrets(seal_secrets(rotated, "pass phrase"), "pass phrase")
    assert base64.b64decode(opened["SVODKA_AUDIT_KEY"]) == rotated.audit_key
