"""Time: figures as known at past instants, from event times only (checkpoints: test_checkpoints.py)."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

from projections import queries
from projections.projector import Projector
from projections.replay import replay
from tests.projections.conftest import NOW, checkpoint, detention, project
from tests.projections.reference import expected, known_at, numbered_events, published, stored_events

KINDS = ("detention", "checkpoint")


def instant() -> datetime:
    time.sleep(0.002)  # instants strictly between the events' recorded times
    moment = datetime.now(timezone.utc)
    time.sleep(0.002)
    return moment


async def test_figures_as_of_past_instants_equal_a_fold_of_the_events_known_then(store_app, conn, projector):
    t0 = instant()
    a = store_app.submit(detention("a", detained=5))
    b = store_app.submit(detention("b", detained=3, city="Санкт-Петербург"))
    k = store_app.submit(checkpoint("k"))
    t1 = instant()
    # A late report about three days ago, and moderation of earlier reports.
    store_app.submit(detention("late", detained=40, occurred_at=NOW - timedelta(days=3), reporter="l" * 64))
    store_app.verify(a.id, moderator="m")
    store_app.reject(b.id, moderator="m", reason="fake")
    store_app.confirm_checkpoint(k.id, by="c" * 64)  # moves no figure, but it is known at t2
    await project(conn, projector)  # the projector ran in between: the ledger is not built in one go
    t2 = instant()
    store_app.correct(a.id, by="m", reason="recount", detained=7)
    store_app.block_reporter(store_app.reporter_reference("l" * 64), moderator="m", reason="fakes")
    store_app.submit(detention("c", detained=2, reporter="z" * 64))
    await project(conn, projector)

    events = stored_events(store_app)
    for at in (t0, t1, t2, None):
        for kind in KINDS:
            assert await published(conn, kind, at) == expected(events, kind, at), (kind, at)
    assert (await queries.stats(conn, at=t1)).total == queries.Totals(0, 8, 2)
    assert (await queries.stats(conn, at=t2)).total == queries.Totals(5, 40, 2)
    assert (await queries.stats(conn)).total == queries.Totals(7, 2, 2)
    early, late = [(await queries.stats(conn, at=t)).as_of for t in (t1, t2)]
    assert (early.position, late.position) == (3, 7)
    assert early.recorded_at <= t1


async def test_as_of_every_instant_from_snapshots_or_either_end_equals_the_fold(store_app, conn):
    for i in range(16):
        sub = store_app.submit(detention(f"s{i}", detained=i + 1, reporter=f"{i % 3:064d}"))
        if i % 2:
            store_app.verify(sub.id, moderator="m")
        if i % 5 == 4:
            store_app.reject(sub.id, moderator="m", reason="fake")
    await project(conn, Projector(store_app.mapper, batch_size=3, snapshot_every=4))
    assert await conn.fetchval("SELECT count(DISTINCT position) FROM rm_snapshots") >= 5
    numbered = numbered_events(store_app)
    events = [event for _, event in numbered]
    us = timedelta(microseconds=1)
    for at in sorted({t for _, e in numbered for t in (e.timestamp - us, e.timestamp)}):
        assert await published(conn, "detention", at) == expected(events, "detention", at), at
        assert (await queries.stats(conn, at=at)).as_of.position == known_at(numbered, at)
