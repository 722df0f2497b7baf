"""A clean stop of the polling bot is not an error."""

from __future__ import annotations

import asyncio
import logging

from infra.bot_part import poll, wire
from tests.bot.conftest import CLOCK


async def test_stopping_the_polling_bot_logs_no_error(tg, bot, memory_app, keys, read_model, caplog):
    caplog.set_level(logging.INFO)
    dp = wire(memory_app, keys, read_model, None, clock=lambda: CLOCK).dispatcher
    polling = asyncio.create_task(poll(dp, bot, timeout=5))
    await tg.wait_for(lambda calls: any(c.method == "getMe" for c in calls))
    await asyncio.sleep(0.3)  # a long poll is in flight
    polling.cancel()
    await asyncio.gather(polling, return_exceptions=True)
    await bot.session.close()  # as the bot part does next
    await asyncio.sleep(0.5)  # anything left fetching would fail now
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert any("Polling stopped" in r.getMessage() for r in caplog.records)
