"""`svodka bulletin preview` prints the next bulletin without recording it."""

from __future__ import annotations

import base64
import json
import os
from datetime import datetime, timedelta, timezone

import pytest
from typer.testing import CliRunner

from domain.application import NewReport
from infra.bootstrap import build_application
from infra.cli import cli
from infra.keys import Keys
from infra.keystore import PostgresKeyStore
from tests.api.conftest import project


@pytest.fixture
def configured(db, monkeypatch):
    secret, master = "s" * 48, os.urandom(32)
    for name, value in {
        "DATABASE_URL": db.url, "SVODKA_DB_SCHEMA": db.schema, "SVODKA_SECRET": secret,
        "SVODKA_MASTER_KEY": base64.b64encode(master).decode(), "SVODKA_LOG_FORMAT": "text",
        "SVODKA_BULLETIN_TIMES": "00:00,12:00", "SVODKA_BULLETIN_LANGUAGE": "en",
    }.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    store = PostgresKeyStore(db)
    app = build_application(Keys(secret=secret.encode(), master_key=master), db, store)
    yield app
    app.close()
    store.close()


def test_preview_prints_the_next_bulletin_and_records_nothing(configured, db):
    now = datetime.now(timezone.utc)
    configured.submit(NewReport(kind="detention", channel="test", client_ref="1", occurred_at=now - timedelta(minutes=5),
                                city="Новосибирск", detained=6))  # fmt: skip
    project(db, configured)
    head = configured.recorder.max_notification_id()
    result = CliRunner().invoke(cli, ["bulletin", "preview"])
    assert result.exit_code == 0, result.output
    assert "Bulletin for" in result.output and "As of log position 1" in result.output
    russian = CliRunner().invoke(cli, ["bulletin", "preview", "--lang", "ru"])
    assert "Сводка на" in russian.output
    figures = json.loads(CliRunner().invoke(cli, ["bulletin", "preview", "--json"]).output)["figures"]
    day = figures["detentions"]["unverified"]
    assert day in (0, 6)  # 6 unless Novosibirsk's day and the bulletin zone's day differ right now
    assert configured.recorder.max_notification_id() == head  # nothing recorded


def test_preview_without_a_schedule_says_what_to_set(configured, monkeypatch):
    monkeypatch.delenv("SVODKA_BULLETIN_TIMES")
    result = CliRunner().invoke(cli, ["bulletin", "preview"])
    assert result.exit_code == 2 and "SVODKA_BULLETIN_TIMES" in result.output
