"""Checkpoints on two time axes: on the street at `at` (valid time), as known at `as_of`
(transaction time). Every time comes from events, so a replay gives the same answers."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

from projections import queries
from projections.replay import replay
from tests.projections.conftest import NOW as EXACT_NOW
from tests.projections.conftest import checkpoint, project

NOW = EXACT_NOW.replace(second=0)  # sightings are kept to the minute
TTL = timedelta(hours=1)
MS = timedelta(milliseconds=1)


def instant() -> datetime:
    time.sleep(0.002)  # strictly between the events' recorded times
    moment = datetime.now(timezone.utc)
    time.sleep(0.002)
    return moment


async def active(conn, at: datetime, ttl: timedelta = TTL, as_of: datetime | None = None, **kw) -> list:
    found = await queries.active_checkpoints(conn, at=at, ttl=ttl, as_of=as_of, **kw)
    return sorted((c.id, c.confirmations) for c in found)


async def test_seen_at_18_reported_at_22_is_active_at_20_and_not_at_22(store_app, conn, projector):
    """The issue's acceptance case, with the default TTL (3 h)."""
    before = instant()
    seen = NOW - timedelta(hours=4)  # "18:00", reported now ("22:00")
    kursk = store_app.submit(checkpoint("kursk", occurred_at=seen)).id
    old = store_app.submit(checkpoint("2022", occurred_at=datetime(2022, 3, 1, 18, tzinfo=timezone.utc))).id
    await project(conn, projector)
    ttl = queries.DEFAULT_TTL
    assert await active(conn, seen + timedelta(hours=2), ttl) == [(kursk, 0)]  # 20:00, as known now
    assert await active(conn, NOW, ttl) == []  # 22:00: expired at 21:00, history only
    assert await active(conn, seen - MS, ttl) == []  # not seen yet
    assert await active(conn, seen + timedelta(hours=2), ttl, as_of=before) == []  # not known at 20:00
    assert await active(conn, datetime(2022, 3, 1, 19, tzinfo=timezone.utc), ttl) == [(old, 0)]
    # History is never "active now", even if someone says "still there" about it.
    store_app.confirm_checkpoint(kursk, by="x" * 64)
    await project(conn, projector)
    assert await active(conn, datetime.now(timezone.utc), ttl) == []


async def test_still_there_extends_only_a_live_checkpoint_and_gone_ends_it_when_seen(
    db, store_app, conn, projector
):
    first = NOW - timedelta(hours=2)
    a = store_app.submit(checkpoint("a", occurred_at=first)).id
    store_app.confirm_checkpoint(a, by="x" * 64, seen_at=first + timedelta(minutes=30))  # extends to N-30m
    store_app.confirm_checkpoint(a, by="x" * 64, seen_at=first + timedelta(minutes=40))  # the same voter: ignored
    store_app.confirm_checkpoint(a, by="z" * 64, seen_at=NOW - timedelta(minutes=20))  # after it expired: ignored
    b = store_app.submit(checkpoint("b", occurred_at=NOW - timedelta(hours=1), lat=51.75, lon=36.2)).id
    store_app.clear_checkpoint(b, by="y" * 64, seen_at=NOW - timedelta(minutes=40))  # one other: a vote only
    mid = instant()
    store_app.clear_checkpoint(b, by="c" * 64, seen_at=NOW - timedelta(minutes=30))  # its reporter: ends it
    await project(conn, projector)

    answers = {
        first - MS: [],
        first: [(a, 0)],
        first + timedelta(minutes=45): [(a, 1)],
        NOW - timedelta(minutes=30) - MS: [(a, 1), (b, 0)],
        NOW - timedelta(minutes=30): [],  # a expired (its last live "still there" + TTL); b was seen gone
        NOW - timedelta(minutes=15): [],  # the late "still there" did not revive a
    }
    for when, want in answers.items():
        assert await active(conn, when) == want, when
    # As known before the reporter's "gone" was recorded, b was still there.
    assert await active(conn, NOW - timedelta(minutes=25), as_of=mid) == [(b, 0)]
    near = await queries.active_checkpoints(conn, at=NOW - timedelta(minutes=35), ttl=TTL, near=(51.75, 36.2),
                                            radius_km=1)
    assert [c.id for c in near] == [b]
    listed = await queries.active_checkpoints(conn, at=first + timedelta(minutes=45), ttl=TTL)
    assert [(c.seen_at, c.last_confirmed_at, c.expires_at) for c in listed] == [
        (first, first + timedelta(minutes=30), first + timedelta(minutes=30) + TTL)
    ]

    before = {when: await active(conn, when) for when in answers}
    await replay(db.url, db.schema, store_app.mapper)
    assert {when: await active(conn, when) for when in answers} == before


async def test_blocked_held_and_status_are_as_known_at_as_of(store_app, conn, projector):
    seen = NOW - timedelta(minutes=30)
    spammer = "s" * 64
    cp = store_app.submit(checkpoint("cp", occurred_at=seen, reporter=spammer)).id
    other = store_app.submit(checkpoint("other", occurred_at=seen, reporter="o" * 64)).id
    before_block = instant()
    store_app.block_reporter(store_app.report(cp).reporter, moderator="m", reason="fakes")
    store_app.reject(other, moderator="m", reason="fake")
    await project(conn, projector)
    assert await active(conn, NOW, as_of=before_block) == [(cp, 0), (other, 0)]
    assert await active(conn, NOW) == []
    store_app.reopen(other, moderator="m", reason="it was real")
    await project(conn, projector)
    assert await active(conn, NOW) == [(other, 0)]


async def test_checkpoints_given_a_city_or_a_region_only_are_listed(store_app, conn, projector):
    city = store_app.submit(checkpoint("city", lat=None, lon=None, city="Курск")).id
    region = store_app.submit(checkpoint("region", lat=None, lon=None, region="RU-KRS")).id
    await project(conn, projector)
    found = {c.id: (c.city, c.lat, c.lon) for c in await queries.active_checkpoints(conn, at=NOW, ttl=TTL)}
    assert found[region] == (None, None, None)
    assert found[city][0] == "Kursk" and found[city][1] is not None
