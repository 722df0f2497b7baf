"""Many reporters at once, with Redis: every one is served, none gets an apology."""

from __future__ import annotations

import asyncio

from infra.bot_part import bot_redis, wire
from infra.settings import Settings
from tests.bot.conftest import CLOCK, REDIS_URL
from tests.bot.fake_telegram import FakeUser


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
