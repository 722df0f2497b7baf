"""A part starting while PostgreSQL restarts waits for it instead of dying with a traceback."""

from __future__ import annotations

import base64
import os

import psycopg
import pytest

from infra import bootstrap
from infra.exits import DatabaseUnavailable
from infra.settings import load_settings


def _settings(db):
    return load_settings(database_url=db.url, db_schema=db.schema, secret="s" * 40,
                         master_key=base64.b64encode(os.urandom(32)).decode())


def test_a_restart_during_start_up_is_waited_for(db, monkeypatch):
    real = bootstrap.PostgresKeyStore
    refusals = []

    def restarting(*args, **kwargs):
        if len(refusals) < 2:
            refusals.append(1)
            raise psycopg.OperationalError("the database system is starting up")
        return real(*args, **kwargs)

    monkeypatch.setattr(bootstrap, "PostgresKeyStore", restarting)
    with bootstrap.services(_settings(db)) as svc:
        assert svc.app.recorder.max_notification_id() in (None, 0)
    assert len(refusals) == 2


def test_a_database_that_stays_away_is_one_line_with_status_4(db, monkeypatch):
    def down(*args, **kwargs):
        raise psycopg.OperationalError("connection refused")

    monkeypatch.setattr(bootstrap, "PostgresKeyStore", down)
    monkeypatch.setattr(bootstrap._open_stores, "__defaults__", (0.0,))
    with pytest.raises(DatabaseUnavailable) as refused, bootstrap.services(_settings(db)):
        pass
    assert refused.value.status == 4 and "unavailable" in str(refused.value)
