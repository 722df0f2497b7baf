"""Fixed-window rate limits, shared through Redis when configured, else per process.

Keys hold an HMAC of the token or client address, never the raw value: Redis is not a
place for secrets or for anything that identifies a person.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import math
import time
from dataclasses import dataclass

from api.context import Limit
from api.errors import ApiError

log = logging.getLogger("svodka.api")

# Each key: INCR and the first EXPIRE in one step, so a crash between them cannot leave an
# immortal key. Many keys per call (a batch of hits, see RedisWindows), one {count, ttl} pair
# each, in order; KEYS[i] is incremented once per hit even when a key repeats in the batch.
# (One Redis, not a cluster: a cluster would refuse keys from different slots in one script.)
_WINDOWS = """
local out = {}
for i, key in ipairs(KEYS) do
  local n = redis.call('INCR', key)
  if n == 1 then redis.call('PEXPIRE', key, ARGV[i]) end
  local ttl = redis.call('PTTL', key)
  if ttl < 0 then redis.call('PEXPIRE', key, ARGV[i]); ttl = tonumber(ARGV[i]) end
  out[#out + 1] = n
  out[#out + 1] = ttl
end
return out
"""
BATCH_MAX = 500
BREAKER_SECONDS = 5.0  # how long a failed Redis is left alone before one batch tries it again


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
    """Counters in Redis, shared by every worker.

    Hits that arrive together go to Redis together: the first hit of a loop iteration schedules
    one script call for every hit queued by then, as intake's group commit does for the event
    store. A surge then costs a round trip per batch, not per request; one round trip each was
    about a third of the API's CPU per report (bench/api_intake.py with Redis).
    """

    def __init__(self, url: str, *, max_connections: int = 32, cooldown: float = BREAKER_SECONDS) -> None:
        import redis.asyncio as redis

        # A surge waits for a free connection instead of failing with MaxConnectionsError.
        pool = redis.BlockingConnectionPool.from_url(
            url, max_connections=max_connections, timeout=1, socket_timeout=1, socket_connect_timeout=1
        )
        self._redis = redis.Redis(connection_pool=pool)
        self._script = self._redis.register_script(_WINDOWS)
        self._fallback = MemoryWindows()
        self._warned = False
        # Circuit breaker: after a failure Redis is left alone for `cooldown` seconds, then one
        # batch tries it while the others keep to the fallback. A frozen Redis then costs one
        # timeout per cooldown, not one (or two: address and token) per request.
        self._cooldown = cooldown
        self._open_until = 0.0
        self._probing = False
        self._queued: list[tuple[str, Limit, asyncio.Future[Verdict]]] = []
        self._sending: set[asyncio.Task[None]] = set()

    async def hit(self, key: str, limit: Limit) -> Verdict:
        loop = asyncio.get_running_loop()
        verdict: asyncio.Future[Verdict] = loop.create_future()
        self._queued.append((key, limit, verdict))
        if len(self._queued) == 1:
            loop.call_soon(self._send_queued)  # after the hits this iteration of the loop brings
        return await verdict

    def _send_queued(self) -> None:
        while self._queued:
            batch, self._queued = self._queued[:BATCH_MAX], self._queued[BATCH_MAX:]
            task = asyncio.ensure_future(self._send(batch))
            self._sending.add(task)
            task.add_done_callback(self._sending.discard)

    def _redis_closed(self) -> bool:
        """Whether this batch should skip Redis: the breaker is open, or another batch is probing."""
        if self._probing or time.monotonic() < self._open_until:
            return True
        self._probing = self._open_until > 0  # half-open: this batch is the one that tries
        return False

    async def _send(self, batch: list[tuple[str, Limit, asyncio.Future[Verdict]]]) -> None:
        verdicts: list[Verdict] | None = None
        if not self._redis_closed():
            try:
                counts = await self._script(keys=[key for key, _, _ in batch],
                                            args=[int(limit.seconds * 1000) for _, limit, _ in batch])
                verdicts = [Verdict(int(counts[2 * i]) <= limit.count,
                                    max(1, math.ceil(int(counts[2 * i + 1]) / 1000)))
                            for i, (_, limit, _) in enumerate(batch)]
                self._warned, self._open_until = False, 0.0
            except Exception as error:  # noqa: BLE001 - any Redis failure: keep limiting, per process
                self._open_until = time.monotonic() + self._cooldown
                if not self._warned:
                    log.warning("rate limits fall back to per-process counters",
                                extra={"error": type(error).__name__})
                    self._warned = True
            finally:
                self._probing = False
        if verdicts is None:
            verdicts = [await self._fallback.hit(key, limit) for key, limit, _ in batch]
        for (_, _, waiting), verdict in zip(batch, verdicts, strict=True):
            if not waiting.done():  # its request may have been cancelled meanwhile
                waiting.set_result(verdict)

    async def close(self) -> None:
        await asyncio.gather(*self._sending, return_exceptions=True)
        await self._redis.aclose()


class RateLimiter:
    def __init__(self, key: bytes, prefix: str, redis_url: str | None, *, max_connections: int = 32) -> None:
        self._key = key or b"svodka rate limits"
        self._prefix = prefix
        self._windows = RedisWindows(redis_url, max_connections=max_connections) if redis_url else MemoryWindows()

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
