"""`svodka keys rotate`: new keys for every data key and event; heads archived before still verify."""

from __future__ import annotations

import asyncio
import base64
import json
import os

import psycopg

from infra.audit.export import export
from infra.audit.part import public_key, run_to_completion
from infra.audit.verify import verify_file
from infra.bootstrap import build_application
from infra.keyrotation import rotate, rotated_keys
from infra.keystore import PostgresKeyStore
from tests.audit.conftest import REPORTER, detention, seed


def stored(db, table: str, column: str) -> set[bytes]:
    with psycopg.connect(db.url) as conn:
        return {bytes(r[0]) for r in conn.execute(f'SELECT {column} FROM "{db.schema}".{table}')}


def test_rotation_rewrites_every_key_and_event_and_old_heads_still_verify(db, keys, pg_app, tmp_path):
    ids = seed(pg_app)
    forgotten = pg_app.submit(detention("x", "Kursk", 3, "e" * 64, description="стереть")).id
    pg_app.forget_reporter("e" * 64, by="reporter")
    archived = asyncio.run(export(db, pg_app, keys, tmp_path / "before.jsonl", figures=False))
    heads = [line for line in (tmp_path / "before.jsonl").read_text().splitlines() if json.loads(line)["type"] == "head"]
    (tmp_path / "heads.jsonl").write_text("\n".join(heads) + "\n")
    wrapped, states = stored(db, "subject_keys", "wrapped"), stored(db, "svodka_events", "state")

    new_master = os.urandom(32)
    first = rotate(db, keys, new_master, batch=3)
    assert first.reencrypted == len(states) and first.rewrapped == len(wrapped) > 0
    # Nothing is left as it was, and a second run (a resumed one) has nothing more to do.
    assert stored(db, "subject_keys", "wrapped").isdisjoint(wrapped)
    assert stored(db, "svodka_events", "state").isdisjoint(states)
    assert rotate(db, keys, new_master) == type(first)(0, 0)

    # The application on the new keys reads everything the old one could, and no more.
    new = rotated_keys(keys, new_master)
    store = PostgresKeyStore(db)
    app = build_application(new, db, store)
    try:
        assert app.personal_fields(ids["moscow"]) == {"description": "у метро", "lat": 55.7558, "lon": 37.6173}
        assert app.personal_fields(forgotten) == "erased"
        assert app.report(ids["spb"]).detained == 31
        app.submit(detention("after", "Moscow", 2, REPORTER))
        run_to_completion(db, app, new)
        result = asyncio.run(export(db, app, new, tmp_path / "after.jsonl", figures=False))
        assert result.divergence is None
        # The public key did not change, and the heads an auditor archived before still hold.
        assert public_key(new) == public_key(keys)
        verified = verify_file(tmp_path / "after.jsonl", key=public_key(keys),
                               extra_heads=[json.loads(h) for h in heads])
        assert verified.position > archived.head.position
    finally:
        app.close()
        store.close()


def test_the_command_writes_the_new_secrets_and_resumes(db, keys, pg_app, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from infra.cli import cli
    from infra.keys import load_keys
    from infra.settings import load_settings

    seed(pg_app)
    monkeypatch.setenv("DATABASE_URL", db.url)
    monkeypatch.setenv("SVODKA_DB_SCHEMA", db.schema)
    monkeypatch.setenv("SVODKA_SECRET", "s" * 40)
    monkeypatch.setenv("SVODKA_MASTER_KEY", base64.b64encode(keys.master_key).decode())
    first = CliRunner().invoke(cli, ["keys", "rotate", "--to", str(tmp_path / "new")])
    assert first.exit_code == 0, first.output
    assert "events re-encrypted" in first.output
    assert {p.name for p in (tmp_path / "new").iterdir()} == {"SVODKA_MASTER_KEY", "SVODKA_SECRET", "SVODKA_AUDIT_KEY"}
    assert all(p.stat().st_mode & 0o077 == 0 for p in (tmp_path / "new").iterdir())
    again = CliRunner().invoke(cli, ["keys", "rotate", "--to", str(tmp_path / "new")])
    assert again.exit_code == 0 and "0 data keys re-wrapped, 0 events re-encrypted" in again.output
    # svodka started on the new secrets directory reads the same events, with the same audit key.
    for name in ("SVODKA_SECRET", "SVODKA_MASTER_KEY"):
        monkeypatch.delenv(name)
    monkeypatch.setenv("SVODKA_SECRETS_DIR", str(tmp_path / "new"))
    new = load_keys(load_settings())
    assert new.master_key != keys.master_key and public_key(new) == public_key(keys)
