"""What counts, and how moderation, corrections, blocks and floods move the figures."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from projections import queries, schema
from projections.projector import Projector, connect
from tests.projections.conftest import NOW, checkpoint, detention, project
from tests.projections.reference import expected, published, stored_events

OTHER = "o" * 64


async def test_moderation_and_corrections_move_figures_without_double_counting(store_app, conn, projector):
    a = store_app.submit(detention("a", detained=4))
    b = store_app.submit(detention("b", city="Екатеринбург", detained=7))
    c = store_app.submit(detention("c", detained=2, reporter=OTHER))
    d = store_app.submit(detention("d", detained=9, reporter=OTHER))
    e = store_app.submit(detention("e", detained=1, reporter=OTHER))
    store_app.verify(a.id, moderator="m")
    store_app.correct(a.id, by="m", reason="typo", detained=5, city="Новосибирск")
    store_app.reject(b.id, moderator="m", reason="fake")
    store_app.mark_duplicate(c.id, of=a.id, moderator="m", reason="same arrests, corrected to Novosibirsk")
    store_app.retract(d.id, by=OTHER)
    store_app.correct(e.id, by="m", reason="count", detained=3)
    await project(conn, projector)

    stats = await queries.stats(conn, group_by=("region", "city"))
    assert stats.total == queries.Totals(verified=5, unverified=3, reports=2)
    assert {(g.key["region"], g.key["city"]): g.totals for g in stats.groups} == {
        ("RU-MOW", "Moscow"): queries.Totals(0, 3, 1),
        ("RU-NVS", "Novosibirsk"): queries.Totals(5, 0, 1),
    }
    assert stats.as_of == await queries.as_of(conn)
    assert (await queries.stats(conn, region="RU-NVS")).total.verified == 5
    assert (await queries.stats(conn, city="Moscow")).total.unverified == 3
    assert (await queries.stats(conn, date_to=NOW.date() - timedelta(days=5))).total == queries.Totals()
    assert await published(conn, "detention") == expected(stored_events(store_app), "detention")


async def test_a_blocked_reporters_reports_stop_counting_and_count_again_after_unblock(store_app, conn, projector):
    store_app.submit(detention("a", detained=4))
    store_app.submit(detention("b", detained=6, reporter=OTHER))
    store_app.block_reporter(store_app.reporter_reference("r" * 64), moderator="m", reason="fakes")
    store_app.submit(detention("c", detained=10))  # sent while blocked
    await project(conn, projector)
    assert (await queries.stats(conn)).total == queries.Totals(0, 6, 1)
    assert [q.reporter_blocked for q in await queries.moderation_queue(conn)] == [True, False, True]

    store_app.unblock_reporter(store_app.reporter_reference("r" * 64), moderator="m", reason="mistake")
    await project(conn, projector)
    assert (await queries.stats(conn)).total == queries.Totals(0, 20, 3)
    assert await published(conn, "detention") == expected(stored_events(store_app), "detention")


async def test_a_flood_from_one_pseudonym_counts_only_what_moderators_verify(store_app, conn, projector):
    flood = [store_app.submit(detention(f"f{i}", detained=100)) for i in range(40)]
    await project(conn, projector)
    if len({r.submitted_at.hour for r in await queries.moderation_queue(conn, limit=100)}) > 1:
        pytest.skip("the flood straddled a clock hour")  # the hour is the event's, not ours to set
    # The first ten in the hour count as unverified; the other thirty wait for a moderator.
    assert (await queries.stats(conn)).total == queries.Totals(0, 1000, 10)
    store_app.verify(flood[-1].id, moderator="m")
    await project(conn, projector)
    assert (await queries.stats(conn)).total == queries.Totals(100, 1000, 11)

    signals = await queries.abuse_signals(conn, since=NOW - timedelta(hours=1))
    assert [(s.reporter, s.submitted, s.rejected) for s in signals][:1] == [(store_app.reporter_reference("r" * 64), 40, 0)]
    queue = await queries.moderation_queue(conn, limit=100)
    assert len(queue) == 39 and queue[-1].reporter_reports_last_hour == 39
    assert queue == sorted(queue, key=lambda q: q.submitted_at)


async def test_the_queue_holds_unreviewed_reports_oldest_first_with_their_versions(store_app, conn, projector):
    first = store_app.submit(detention("1"))
    second = store_app.submit(checkpoint("2"))
    third = store_app.submit(detention("3", reporter=None, channel="operator"))
    store_app.verify(first.id, moderator="m")
    store_app.confirm_checkpoint(second.id, by=OTHER)
    await project(conn, projector)
    queue = await queries.moderation_queue(conn)
    assert [(q.id, q.version, q.kind) for q in queue] == [(second.id, 2, "checkpoint"), (third.id, 1, "detention")]
    assert queue[1].reporter is None and queue[1].reporter_reports_last_hour == 0
    assert (await queries.moderation_queue(conn, offset=1))[0].id == third.id
    assert (await queries.stats(conn, kind="checkpoint")).total == queries.Totals(0, 1, 1)


async def test_an_empty_store_has_zero_figures_at_position_zero(conn):
    assert await queries.as_of(conn) == queries.AsOf(0, None)
    assert (await queries.stats(conn, at=NOW)).total == queries.Totals()


async def test_a_block_folded_while_the_reporters_reports_are_still_being_written(db, store_app, conn):
    """Pipelined: the batch with the block folds while the batch with the reporter's reports has
    not committed yet; the block must move those reports all the same (they are in memory only)."""
    store_app.submit(detention("a", detained=4))
    store_app.submit(detention("b", detained=6, reporter=OTHER))
    store_app.block_reporter(store_app.reporter_reference("r" * 64), moderator="m", reason="fakes")  # registered + blocked
    store_app.submit(detention("c", detained=10))  # sent while blocked
    slow_commits = []

    async def slow(position: int) -> None:
        slow_commits.append(position)
        await asyncio.sleep(0.2)  # the next batch is read, decoded and folded meanwhile

    projector = Projector(store_app.mapper, batch_size=2, before_commit=slow)
    reader = await connect(db.url, db.schema, "svodka-tests-reader")
    try:
        await schema.create(conn)
        await projector.catch_up(conn, reader=reader)
    finally:
        await reader.close()
    assert slow_commits == [2, 4, 5]
    assert (await queries.stats(conn)).total == queries.Totals(0, 6, 1)
    assert [q.reporter_blocked for q in await queries.moderation_queue(conn)] == [True, False, True]
    assert await published(conn, "detention") == expected(stored_events(store_app), "detention")
