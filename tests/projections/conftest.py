"""Projection fixtures: the application on this test's schema, and a connection to its read model."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

import pytest

from domain.application import NewReport
from infra.bootstrap import build_application
from infra.crypto import MemoryKeyStore
from projections import queries, schema
from projections.projector import Projector, connect

NOW = datetime.now(timezone.utc).replace(microsecond=0)


@pytest.fixture
def store_app(db, keys):
    """The domain application on PostgreSQL (the `app` fixture also runs on memory)."""
    application = build_application(keys, db, MemoryKeyStore())
    yield application
    application.close()


@pytest.fixture
async def conn(db):
    connection = await connect(db.url, db.schema, "svodka-tests")
    yield connection
    await connection.close()


@pytest.fixture
def projector(store_app) -> Projector:
    return Projector(store_app.mapper, batch_size=50)


async def project(conn, projector: Projector) -> int:
    """Create the read model if needed and fold everything stored so far."""
    await schema.create(conn)
    return await projector.catch_up(conn)


def detention(ref: str, **overrides) -> NewReport:
    fields = dict(
        kind="detention",
        channel="telegram",
        client_ref=ref,
        occurred_at=NOW - timedelta(hours=2),
        reporter="r" * 64,
        city="Москва",
        detained=3,
    )
    fields.update(overrides)
    return NewReport(**fields)


def checkpoint(ref: str, **overrides) -> NewReport:
    fields = dict(
        kind="checkpoint",
        channel="telegram",
        client_ref=ref,
        occurred_at=NOW - timedelta(minutes=10),
        reporter="c" * 64,
        lat=51.73,
        lon=36.19,
    )
    fields.update(overrides)
    return NewReport(**fields)


async def until(conn, done, seconds: float = 60.0) -> None:
    """Wait for a projector running elsewhere until `done(current totals)` holds."""
    for _ in range(int(seconds / 0.025)):
        if await schema.exists(conn) and done((await queries.stats(conn)).total):
            return
        await asyncio.sleep(0.025)
    raise AssertionError("the projector did not get there")
