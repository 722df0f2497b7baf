"""Guards against repeats and floods: redelivered updates and per-reporter rate limits.

The memory forms serve one process (bot.gate.MemoryGate); with Redis, bot.redis_gate.RedisGate
marks and counts in the round trip it makes anyway, under the keys defined here.
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from typing import Protocol

from redis.asyncio import Redis

SEEN_TTL_SECONDS = 24 * 3600  # Telegram stops redelivering long before this
SEEN_IN_MEMORY = 100_000


def seen_key(prefix: str, bot_id: int, update_id: int) -> str:
    return f"{prefix}:seen:{bot_id}:{update_id}"


class MemorySeenUpdates:
    def __init__(self, capacity: int = SEEN_IN_MEMORY) -> None:
        self._seen: OrderedDict[tuple[int, int], None] = OrderedDict()
        self.capacity = capacity

    async def first_time(self, bot_id: int, update_id: int) -> bool:
        key = (bot_id, update_id)
        if key in self._seen:
            return False
        self._seen[key] = None
        if len(self._seen) > self.capacity:
            self._seen.popitem(last=False)
        return True

    async def release(self, bot_id: int, update_id: int) -> None:
        self._seen.pop((bot_id, update_id), None)


class Throttle(Protocol):
    """A reporter's updates are counted in fixed windows (by the gate, bot/gate.py); past `limit`
    in one window they are turned away."""

    limit: int

    async def forget(self, reporter: str) -> None:
        """Drop the reporter's counters: after /forget no key computed from them is left."""


class MemoryThrottle:
    def __init__(self, limit: int = 30, window_seconds: int = 60) -> None:
        self.limit = limit
        self.window = window_seconds
        self._counts: dict[str, tuple[int, int]] = {}

    async def hit(self, reporter: str) -> int:
        window = int(time.time() // self.window)
        started, count = self._counts.get(reporter, (window, 0))
        count = count + 1 if started == window else 1
        self._counts[reporter] = (window, count)
        if len(self._counts) > 50_000:  # forget reporters from earlier windows
            self._counts = {k: v for k, v in self._counts.items() if v[0] == window}
        return count

    async def forget(self, reporter: str) -> None:
        self._counts.pop(reporter, None)


class RedisThrottle:
    """Its counting is done by bot.redis_gate.RedisGate, in the same round trip as the rest."""

    def __init__(self, redis: Redis, limit: int = 30, window_seconds: int = 60, prefix: str = "svodka:bot") -> None:
        self.redis = redis
        self.limit = limit
        self.window = window_seconds
        self.prefix = prefix

    async def forget(self, reporter: str) -> None:
        window = int(time.time() // self.window)
        await self.redis.delete(*(self.key(reporter, w) for w in (window - 1, window, window + 1)))

    def key(self, reporter: str, window: int) -> str:
        return f"{self.prefix}:rate:{hashlib.sha256(reporter.encode()).hexdigest()[:32]}:{window}"
