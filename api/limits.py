"""Fixed-window rate limits, shared through Redis when configured, else per process.

Keys hold an HMAC of the token or client address, never the raw value: Redis is not a
place for secrets or for anything that identifies a person.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import time
from dataclasses import dataclass

from api.context import Limit
from api.errors import ApiError

log = logging.getLogger("svodka.api")

# INCR and the first EXPIRE in one step, so a crash between them cannot leave an immortal key.
_WINDOW = """
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return {n, ttl}
"""


@dataclass(frozen=True, slots=True)
class Verdict:
    allowed: bool
    retry_after: int  # whole seconds until the window resets


class MemoryWindows:
    """One process's counters; enough for a single worker or when Redis is unreachable."""

    def __init__(self) -> None:
        self._windows: dict[str, tuple[float, int]] = {}

    async def hit(self, key: str, limit: Limit) -> Verdict:
        now = time.monotonic()
        if len(self._windows) > 100_000:
            self._windows = {k: v for k, v in self._windows.items() if v[0] > now}
        ends, count = self._windows.get(key, (0.0, 0))
        if ends <= now:
            ends, count = now + limit.seconds, 0
        count += 1
        self._windows[key] = (ends, count)
        return Verdict(count <= limit.count, max(1, math.ceil(ends - now)))


class RedisWindows:
    def __init__(self, url: str) -> None:
        import redis.asyncio as redis

        self._redis = redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
        self._script = self._redis.register_script(_WINDOW)
        self._fallback = MemoryWindows()
        self._warned = False

    async def hit(self, key: str, limit: Limit) -> Verdict:
        try:
            count, ttl_ms = await self._script(keys=[key], args=[int(limit.seconds * 1000)])
        except Exception as error:  # noqa: BLE001 - any Redis failure: keep limiting, per process
            if not self._warned:
                log.warning("rate limits fall back to per-process counters", extra={"error": type(error).__name__})
                self._warned = True
            return await self._fallback.hit(key, limit)
        self._warned = False
        return Verdict(int(count) <= limit.count, max(1, math.ceil(int(ttl_ms) / 1000)))

    async def close(self) -> None:
        await self._redis.aclose()


class RateLimiter:
    def __init__(self, key: bytes, prefix: str, redis_url: str | None) -> None:
        self._key = key or b"svodka rate limits"
        self._prefix = prefix
        self._windows = RedisWindows(redis_url) if redis_url else MemoryWindows()

    def _name(self, scope: str, identity: str) -> str:
        digest = hmac.new(self._key, f"{scope}\x00{identity}".encode(), hashlib.sha256).hexdigest()[:32]
        return f"{self._prefix}rl:{scope}:{digest}"

    async def check(self, scope: str, identity: str, limit: Limit, what: str) -> None:
        verdict = await self._windows.hit(self._name(scope, identity), limit)
        if not verdict.allowed:
            raise ApiError(
                429,
                f"Too many requests from this {what}: at most {limit.count} per {limit.seconds:g} s. "
                f"Retry after {verdict.retry_after} s.",
                headers={"Retry-After": str(verdict.retry_after)},
            )

    async def close(self) -> None:
        if isinstance(self._windows, RedisWindows):
            await self._windows.close()
