"""Where public reads go: streaming replicas in the configured order, then the primary.

A source that refuses a connection is set aside for `retry_seconds` and the next one serves,
with a log line and a count in `svodka_read_fallbacks_total`; intake, moderation and tokens
always use the primary. Every answer still comes from one snapshot of one source, so its
figures and its `as_of` (that source's applied position) always agree.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit

import asyncpg

from api.metrics import Metrics

log = logging.getLogger("svodka.api")
# What a stopped or unreachable server looks like to asyncpg.
UNAVAILABLE = (OSError, TimeoutError, asyncpg.CannotConnectNowError, asyncpg.ConnectionDoesNotExistError,
               asyncpg.InterfaceError, asyncpg.AdminShutdownError, asyncpg.ConnectionFailureError)  # fmt: skip
LAG_SECONDS = """
SELECT CASE WHEN NOT pg_is_in_recovery() THEN NULL
            WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0.0
            ELSE extract(epoch FROM now() - pg_last_xact_replay_timestamp()) END
"""


def where(url: str) -> str:
    """host:port of a libpq URL, for logs and metric labels: never its password."""
    parts = urlsplit(url)
    return f"{parts.hostname or 'local'}:{parts.port or 5432}"


POOL_CLOSE_SECONDS = 10.0


async def close_pool(pool: asyncpg.Pool) -> None:
    """Close gracefully, but never hang a shutdown on a connection someone failed to give back."""
    try:
        await asyncio.wait_for(pool.close(), POOL_CLOSE_SECONDS)
    except TimeoutError:
        log.error("database pool did not close in time; its connections are cut",
                  extra={"seconds": POOL_CLOSE_SECONDS})
        pool.terminate()


@dataclass
class Source:
    name: str  # "replica1", ..., "primary"
    pool: asyncpg.Pool
    down_until: float = 0.0


class ReadSources:
    def __init__(self, primary: asyncpg.Pool, replicas: list[tuple[str, asyncpg.Pool]], metrics: Metrics,
                 retry_seconds: float = 5.0) -> None:  # fmt: skip
        self.sources = [Source(name, pool) for name, pool in replicas] + [Source("primary", primary)]
        self.metrics = metrics
        self.retry_seconds = retry_seconds
        self.serving = self.sources[0].name

    @property
    def has_replicas(self) -> bool:
        return len(self.sources) > 1

    def _candidates(self) -> list[Source]:
        now = time.monotonic()
        up = [s for s in self.sources if s.down_until <= now]
        return up or self.sources[-1:]  # the primary is always tried last

    def set_aside(self, source: Source, error: BaseException) -> None:
        source.down_until = time.monotonic() + self.retry_seconds
        following = next((s.name for s in self._candidates() if s is not source), "primary")
        log.warning("public reads fall back", extra={"source": source.name, "to": following,
                                                      "error": type(error).__name__})  # fmt: skip
        self.metrics.read_fallbacks.labels(source.name).inc()

    @asynccontextmanager
    async def acquire(self, *, snapshot: bool = False) -> AsyncIterator[asyncpg.Connection]:
        """A connection from the first source that answers; `snapshot`: inside one repeatable-read
        read-only transaction, begun here so a dead pooled connection moves on to the next source."""
        error: BaseException | None = None
        for source in self._candidates():
            try:
                conn = await source.pool.acquire(timeout=5)
            except UNAVAILABLE as failed:
                error = failed
                self.set_aside(source, failed)
                continue
            # From here on the connection goes back whatever happens, a cancellation included: the
            # API's shutdown cancels the position poller mid-query, and one connection kept out made
            # `Pool.close()` wait forever.
            try:
                transaction = conn.transaction(isolation="repeatable_read", readonly=True) if snapshot else None
                try:
                    if transaction is not None:
                        await transaction.start()
                    else:
                        await conn.fetchval("SELECT 1")
                except UNAVAILABLE as failed:
                    error = failed
                    self.set_aside(source, failed)
                    continue
                self._serve(source)
                try:
                    yield conn
                except UNAVAILABLE as lost:
                    self.set_aside(source, lost)
                    raise
                finally:
                    if transaction is not None and not conn.is_closed():
                        await asyncio.shield(transaction.rollback())
                return
            finally:
                await asyncio.shield(source.pool.release(conn))
        assert error is not None
        raise error

    def _serve(self, source: Source) -> None:
        if source.name != self.serving:
            log.info("public reads served", extra={"source": source.name, "was": self.serving})
            self.serving = source.name
        for s in self.sources:
            self.metrics.read_source.labels(s.name).set(1 if s is source else 0)

    async def replica_lag(self, primary_position: int | None) -> tuple[int | None, float | None]:
        """(events, seconds) the serving replica is behind the primary; (None, None) on the primary."""
        if self.serving == "primary":
            return None, None
        async with self.acquire() as conn:
            if self.serving == "primary":
                return None, None
            seconds = await conn.fetchval(LAG_SECONDS)
            position = await conn.fetchval("SELECT position FROM rm_tracking") if await conn.fetchval(
                "SELECT to_regclass('rm_tracking')") else 0  # fmt: skip
        events = None if primary_position is None else max(0, primary_position - position)
        return events, None if seconds is None else float(seconds)

    async def close(self) -> None:
        for source in self.sources[:-1]:  # the primary's pool is closed by its owner
            await close_pool(source.pool)
