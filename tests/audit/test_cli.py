"""`svodka audit export` and `svodka audit verify` from the command line: status codes and messages."""

from __future__ import annotations

import base64
import json
import os

import pytest
from typer.testing import CliRunner

from infra.bootstrap import build_application
from infra.cli import cli
from infra.keys import Keys
from infra.keystore import PostgresKeyStore
from tests.audit.conftest import seed, sql


@pytest.fixture
def configured(db, monkeypatch):
    """Settings for the CLI pointing at this test's schema, and the application they describe."""
    secret, master = "s" * 48, os.urandom(32)
    for name, value in {
        "DATABASE_URL": db.url,
        "SVODKA_DB_SCHEMA": db.schema,
        "SVODKA_SECRET": secret,
        "SVODKA_MASTER_KEY": base64.b64encode(master).decode(),
        "SVODKA_LOG_FORMAT": "text",
    }.items():
        monkeypatch.setenv(name, value)
    keys = Keys(secret=secret.encode(), master_key=master)
    store = PostgresKeyStore(db)
    app = build_application(keys, db, store)
    seed(app)
    yield keys
    app.close()
    store.close()


def test_export_then_verify_succeeds_and_reports(configured, tmp_path):
    path = tmp_path / "log.jsonl"
    exported = CliRunner().invoke(cli, ["audit", "export", str(path), "--no-figures"])
    assert exported.exit_code == 0, exported.output
    assert "12 events" in exported.output and "signed head: position 12" in exported.output

    verified = CliRunner().invoke(cli, ["audit", "verify", str(path)])
    assert verified.exit_code == 0, verified.output
    assert "NOT pinned" in verified.output
    assert "detention     verified 12, unverified 31, reports 2" in verified.output


def test_verify_exits_non_zero_naming_the_position(configured, tmp_path):
    path = tmp_path / "log.jsonl"
    assert CliRunner().invoke(cli, ["audit", "export", str(path), "--no-figures"]).exit_code == 0
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    for line in lines:
        if line.get("position") == 4 and line["type"] == "event":
            line["facts"]["region"] = "RU-KRS"
    path.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines))
    result = CliRunner().invoke(cli, ["audit", "verify", str(path)])
    assert result.exit_code == 1
    assert "DIVERGED at position 4" in result.output


def test_export_fails_loudly_on_a_tampered_live_log(configured, db, tmp_path):
    path = tmp_path / "log.jsonl"
    assert CliRunner().invoke(cli, ["audit", "export", str(path), "--no-figures"]).exit_code == 0
    sql(db, "DELETE FROM {s}.svodka_events WHERE notification_id = 7")
    result = CliRunner().invoke(cli, ["audit", "export", str(path), "--no-figures"])
    assert result.exit_code == 1
    assert "diverges from its chain at position 7" in result.output
