"""Following the log live: concurrent writers lose no event, and a standby takes over."""

from __future__ import annotations

import asyncio
import random
import uuid
from datetime import timedelta

import pytest

from domain.report import Report
from projections import queries
from projections.projector import Projector
from tests.projections.conftest import NOW, detention, until

WRITERS, REPORTS, PER_SAVE = 4, 20_000, 10
CITIES = (("RU-MOW", "Moscow"), ("RU-SPE", "Saint Petersburg"), ("RU-SVE", "Yekaterinburg"), ("RU-NVS", "Novosibirsk"))


def write(app, seed: int, count: int) -> int:
    """Save `count` operator reports, a few per transaction; return the people detained."""
    rng = random.Random(seed)
    detained = 0
    for _ in range(count // PER_SAVE):
        batch = []
        for _ in range(PER_SAVE):
            region, city = rng.choice(CITIES)
            people = rng.randint(1, 30)
            detained += people
            batch.append(
                Report(
                    id=uuid.uuid4(), kind="detention", channel="operator", reporter=None, region=region,
                    city=city, occurred_at=NOW, local_day=NOW.date().isoformat(), detained=people,
                    coarse_lat=None, coarse_lon=None, subject="operator", sealed=None,
                )  # fmt: skip
            )
        app.save(*batch)
    return detained


@pytest.mark.slow
async def test_four_writers_and_a_live_projector_count_every_report_exactly_once(db, store_app, conn):
    follower = asyncio.create_task(Projector(store_app.mapper).follow(db.url, db.schema, poll=0.2))
    try:
        per_writer = REPORTS // WRITERS
        detained = await asyncio.gather(*(asyncio.to_thread(write, store_app, i, per_writer) for i in range(WRITERS)))
        await until(conn, lambda t: t.reports >= REPORTS)
    finally:
        # Awaited, so its reading transaction has ended before teardown drops the schema.
        follower.cancel()
        await asyncio.gather(follower, return_exceptions=True)
    stats = await queries.stats(conn, group_by=("region",))
    assert stats.total == queries.Totals(verified=0, unverified=sum(detained), reports=REPORTS)
    assert stats.as_of.position == REPORTS


async def test_a_standby_projector_takes_over_when_the_active_one_stops(db, store_app, conn):
    first = asyncio.create_task(Projector(store_app.mapper).follow(db.url, db.schema, poll=0.05, standby=0.05))
    store_app.submit(detention("1"))
    await until(conn, lambda t: t.reports == 1)
    second = asyncio.create_task(Projector(store_app.mapper).follow(db.url, db.schema, poll=0.05, standby=0.05))
    try:
        await asyncio.sleep(0.2)
        holders = await conn.fetchval(
            "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid) "
            "WHERE l.locktype = 'advisory' AND l.granted AND a.application_name = 'svodka-projector' "
            "AND l.objid = hashtext(current_schema() || ':svodka projector')::oid"
        )
        assert holders == 1
        first.cancel()
        await asyncio.gather(first, return_exceptions=True)
        store_app.submit(detention("2", occurred_at=NOW - timedelta(hours=1)))
        await until(conn, lambda t: t.reports == 2)
    finally:
        first.cancel()
        second.cancel()
        await asyncio.gather(first, second, return_exceptions=True)
    assert (await queries.stats(conn)).total.reports == 2

