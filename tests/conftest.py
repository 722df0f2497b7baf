"""Shared fixtures: a real PostgreSQL (DATABASE_URL, or the embedded server) with a schema per test."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import psycopg
import pytest

# First, before anything reads a setting: the caller's exported SVODKA_*, TELEGRAM_* ... are gone.
from tests.isolation import DATABASE_URL
from infra.bootstrap import build_application
from infra.crypto import MemoryKeyStore
from infra.database import Database, embedded_server
from infra.keys import Keys
from infra.keystore import PostgresKeyStore


@pytest.fixture(scope="session")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """DATABASE_URL when the suite was started with it (CI), else an embedded server that lives for the session."""
    if DATABASE_URL is not None:
        yield DATABASE_URL
        return
    with embedded_server(tmp_path_factory.mktemp("pg") / "pgdata") as url:
        yield url


@pytest.fixture
def db(server_url: str) -> Iterator[Database]:
    """A fresh schema per test, so tests never see each other's events."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    yield Database(server_url, schema)
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture
def keys() -> Keys:
    return Keys(secret=os.urandom(32), master_key=os.urandom(32))


@pytest.fixture
def pg_app(db: Database, keys: Keys):
    """The domain application on this test's PostgreSQL schema, with its key store."""
    store = PostgresKeyStore(db)
    application = build_application(keys, db, store)
    yield application
    application.close()
    store.close()


@pytest.fixture(params=["memory", "postgres"])
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def app(backend: str, keys: Keys, request: pytest.FixtureRequest):
    """The domain application on each backend: one suite, two stores."""
    if backend == "memory":
        application = build_application(keys, None, MemoryKeyStore())
        yield application
        application.close()
        return
    yield request.getfixturevalue("pg_app")
