"""Rate-limit windows in Redis: hits that arrive together share one round trip, counted exactly."""

from __future__ import annotations

import asyncio
import uuid

import redis

from api.context import Limit
from api.limits import RedisWindows
from tests.api.conftest import REDIS_URL


async def test_a_burst_is_one_script_call_and_every_hit_counts():
    windows = RedisWindows(REDIS_URL)
    calls = []
    script = windows._script

    async def counted(**kwargs):
        calls.append(len(kwargs["keys"]))
        return await script(**kwargs)

    windows._script = counted
    busy, quiet = (f"svodka-test-{uuid.uuid4().hex}:{name}" for name in ("busy", "quiet"))
    try:
        verdicts = await asyncio.gather(*(windows.hit(busy, Limit(25, 60)) for _ in range(40)),
                                        *(windows.hit(quiet, Limit(25, 60)) for _ in range(10)))
        assert calls == [50]  # one round trip for the burst
        assert [v.allowed for v in verdicts[:40]] == [True] * 25 + [False] * 15  # in arrival order
        assert all(v.allowed for v in verdicts[40:])  # another key, its own window
        assert all(1 <= v.retry_after <= 60 for v in verdicts)
        assert (await windows.hit(quiet, Limit(25, 60))).allowed  # the 11th of 25
        assert calls == [50, 1]
        ttl = redis.Redis.from_url(REDIS_URL).pttl(busy)
        assert 0 < ttl <= 60_000  # every window expires
    finally:
        redis.Redis.from_url(REDIS_URL).delete(busy, quiet)
        await windows.close()


async def test_a_burst_during_an_outage_is_limited_per_process():
    windows = RedisWindows("redis://127.0.0.1:1/15")
    try:
        verdicts = await asyncio.gather(*(windows.hit("k", Limit(3, 60)) for _ in range(5)))
        assert [v.allowed for v in verdicts] == [True, True, True, False, False]
    finally:
        await windows.close()
