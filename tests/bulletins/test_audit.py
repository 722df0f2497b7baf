"""`svodka audit verify` recomputes each bulletin's figures from the log as of its position."""

from __future__ import annotations

import pytest

from infra.audit.export import export
from infra.audit.part import public_key
from infra.audit.verify import Diverged, verify_file
from tests.bulletins.conftest import FakeClock, settle
from tests.bulletins.test_schedule import at, detention


async def publish_day(application, conn, follower, make_scheduler) -> FakeClock:
    clock = FakeClock(at(12, 0))
    scheduler = make_scheduler(clock)
    for ref, city, n in (("a", "Москва", 5), ("b", "Санкт-Петербург", 3), ("c", "Екатеринбург", 1)):
        application.submit(detention(ref, city, n))
    await settle(conn, application, follower)
    assert await scheduler.tick(conn) is not None
    application.verify(application.submit(detention("d", "Екатеринбург", 9, hour=13)).id, moderator="anna")
    await settle(conn, application, follower)
    clock.set(at(18, 0))
    assert await scheduler.tick(conn) is not None
    return clock


async def test_each_bulletin_is_checked_against_the_log(application, conn, follower, make_scheduler, db, keys,
                                                       tmp_path):
    await publish_day(application, conn, follower, make_scheduler)
    path = tmp_path / "log.jsonl"
    assert (await export(db, application, keys, path, figures=False)).divergence is None
    checked = verify_file(path, key=public_key(keys))
    assert checked.bulletins == 2


async def test_a_bulletin_whose_figures_the_log_does_not_give_is_a_divergence(
    application, conn, follower, make_scheduler, db, keys, tmp_path
):
    clock = await publish_day(application, conn, follower, make_scheduler)
    # A server that lies in its 23:00 bulletin: one detention in Moscow more than the log holds.
    draft = await make_scheduler(clock).draft(conn, at(23, 0), at(23, 0))
    draft.figures["cities"][1]["unverified"] += 1
    draft.figures["detentions"]["unverified"] += 1
    draft.figures["change"]["unverified"] += 1
    application.publish_bulletin(**draft.facts())
    position = application.recorder.max_notification_id()
    path = tmp_path / "log.jsonl"
    await export(db, application, keys, path, figures=False)
    with pytest.raises(Diverged) as diverged:
        verify_file(path, key=public_key(keys))
    assert diverged.value.position == position
    assert "the day's detentions" in diverged.value.what and "bulletin for" in diverged.value.what
