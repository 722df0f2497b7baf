"""Many reporters at once, with Redis: every one is served, none gets an apology."""

from __future__ import annotations

import asyncio

import pytest

from infra.bot_part import bot_redis, make_bot, poll, wire
from infra.settings import Settings
from tests.bot.conftest import CLOCK, REDIS_URL, Harness, unlimited
from tests.bot.crowd import Crowd
from tests.bot.fake_telegram import TOKEN, FakeUser


async def test_more_updates_in_flight_than_redis_connections_all_wait_their_turn(tg, bot, memory_app, keys, read_model, redis):
    _client, prefix = redis
    client = bot_redis(REDIS_URL, Settings().bot_redis_connections)
    try:
        dp = wire(memory_app, keys, read_model, client, prefix=prefix, clock=lambda: CLOCK).dispatcher
        users = [FakeUser(tg, 8_000_000 + n) for n in range(150)]
        await asyncio.gather(*(dp.feed_raw_update(bot, tg.stamp(u.text("/report"))) for u in users))
    finally:
        await client.aclose()
    for user in users:
        assert "Что произошло" in tg.last_text(user.id), tg.last_text(user.id)


@pytest.fixture
async def polling_bot(tg, memory_app, keys, read_model, redis):
    """svodka's bot polling the loopback Bot API through the production wiring, with Redis."""
    _client, prefix = redis
    client = bot_redis(REDIS_URL, Settings().bot_redis_connections)
    telegram = make_bot(TOKEN, tg.url, unlimited())
    dp = wire(memory_app, keys, read_model, client, prefix=prefix, clock=lambda: CLOCK).dispatcher
    polling = asyncio.create_task(poll(dp, telegram, timeout=1))
    try:
        yield telegram
    finally:
        polling.cancel()
        await asyncio.gather(polling, return_exceptions=True)
        await telegram.session.close()
        await client.aclose()


def assert_every_report_landed_once(tg, crowd, memory_app, users):
    reports = [r for r in Harness(tg, None, None, memory_app, users[0]).reports()]
    assert len(reports) == len(users)
    for user in users:
        assert "сохранён" in tg.last_text(user.id), tg.last_text(user.id)
    assert not [c for c in tg.calls if "пошло не так" in str(c.params.get("text", ""))]
    assert set(crowd.answers_per_tap().values()) == {1}  # every tap answered, and once


@pytest.mark.slow
async def test_500_reporters_at_once_each_land_exactly_once(tg, memory_app, polling_bot):
    crowd = Crowd(tg)
    users = [FakeUser(tg, 9_000_000 + n) for n in range(500)]
    await asyncio.gather(*(crowd.walk(u) for u in users))
    assert_every_report_landed_once(tg, crowd, memory_app, users)


async def test_429_on_a_share_of_calls_loses_no_step_and_no_tap(tg, memory_app, polling_bot):
    tg.refuse_share(0.3, retry_after=1)
    crowd = Crowd(tg)
    users = [FakeUser(tg, 9_100_000 + n) for n in range(12)]
    await asyncio.gather(*(crowd.walk(u) for u in users))
    assert tg.refused, "no call was refused"
    assert_every_report_landed_once(tg, crowd, memory_app, users)
