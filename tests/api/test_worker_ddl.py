"""`svodka api --workers N`: the parent prepares the database once; a worker runs no DDL.

Several workers replacing the library's insert function at once failed with "tuple
concurrently updated" and a worker died. A worker here connects as a role that may read and
write rows but create nothing, so any DDL it tried would fail this test.
"""

from __future__ import annotations

import base64
import os
import uuid
from datetime import datetime, timedelta, timezone

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from domain.application import NewReport
from infra.bootstrap import services
from infra.runner import worker_app
from infra.settings import load_settings


def test_a_worker_uses_what_its_parent_prepared_and_creates_nothing(db, monkeypatch):
    secrets = {"SVODKA_SECRET": "s" * 40, "SVODKA_MASTER_KEY": base64.b64encode(os.urandom(32)).decode()}
    for name, value in {**secrets, "DATABASE_URL": db.url, "SVODKA_DB_SCHEMA": db.schema}.items():
        monkeypatch.setenv(name, value)
    with services(load_settings()):
        pass  # the parent: tables, functions and the key store's table
    role = f"worker_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(db.url, autocommit=True) as conn:
        conn.execute(f'CREATE ROLE "{role}" LOGIN')
        conn.execute(f'GRANT USAGE ON SCHEMA "{db.schema}" TO "{role}"')
        conn.execute(f'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA "{db.schema}" TO "{role}"')
        conn.execute(f'GRANT USAGE ON ALL SEQUENCES IN SCHEMA "{db.schema}" TO "{role}"')
    try:
        monkeypatch.setenv("DATABASE_URL", make_conninfo(**{**conninfo_to_dict(db.url), "user": role}))
        app = worker_app()
        try:
            when = datetime.now(timezone.utc) - timedelta(hours=1)
            stored = app.state.config.application.submit(NewReport(
                kind="detention", channel="operator:hotline", client_ref="w-1", occurred_at=when,
                city="Москва", detained=1, description="through a worker"))
            assert stored.created
        finally:
            app.state.config.on_close()
    finally:
        with psycopg.connect(db.url, autocommit=True) as conn:
            conn.execute(f'DROP OWNED BY "{role}"')
            conn.execute(f'DROP ROLE "{role}"')
