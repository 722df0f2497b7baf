"""The API's view of the read model: a pool, the projection position, and the lag behind the log.

The position is polled in the background rather than asked per request: every cached answer
is keyed by it, and a lookup must cost a dict access, not a round trip.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
from starlette.concurrency import run_in_threadpool

from api.metrics import Metrics
from api.replicas import ReadSources
from domain.application import Svodka
from projections import queries
from projections.queries import AsOf

log = logging.getLogger("svodka.api")
LAG_EVERY = 5  # refreshes between two looks at the head of the event log


class ReadModel:
    def __init__(self, pool: asyncpg.Pool, application: Svodka, metrics: Metrics, refresh_seconds: float,
                 reads: ReadSources | None = None) -> None:  # fmt: skip
        self.pool = pool  # the primary: moderation, tokens, health
        self.reads = reads or ReadSources(pool, [], metrics)  # public reads: replicas, then the primary
        self.replica_lag: tuple[int | None, float | None] = (None, None)  # (events, seconds)
        self.application = application
        self.metrics = metrics
        self.refresh_seconds = refresh_seconds
        self.as_of: AsOf | None = None  # None until the projector has written its position
        self.head: int | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def position(self) -> int | None:
        return None if self.as_of is None else self.as_of.position

    @property
    def lag(self) -> int | None:
        if self.head is None:
            return None
        return max(0, self.head - (self.position or 0))

    @asynccontextmanager
    async def snapshot(self) -> AsyncIterator[asyncpg.Connection]:
        """One consistent view: the position read here matches the figures read beside it."""
        async with self.reads.acquire(snapshot=True) as conn:
            yield conn

    def advance(self, as_of: AsOf) -> None:
        """A read saw a newer position than the poller; adopt it so caches key by the newest."""
        if self.as_of is None or as_of.position > self.as_of.position:
            self.as_of = as_of
            self.metrics.position.set(as_of.position)

    async def refresh(self, *, with_head: bool = True) -> None:
        # The position of the source serving public reads: on a replica, the one it has applied.
        async with self.reads.acquire() as conn:
            current = await queries.as_of(conn)
        if self.as_of is None or current.position != self.as_of.position:
            self.as_of = current  # a replay may move it back to 0: follow it
            self.metrics.position.set(current.position)
        if with_head:
            self.head = await run_in_threadpool(self.application.recorder.max_notification_id) or 0
            self.metrics.lag.set(self.lag or 0)
        if self.reads.has_replicas:
            await self._replica_lag()

    async def _replica_lag(self) -> None:
        async with self.pool.acquire() as conn:
            primary = await queries.as_of(conn)
        self.replica_lag = await self.reads.replica_lag(primary.position)
        events, seconds = self.replica_lag
        self.metrics.replica_lag_events.set(events or 0)
        self.metrics.replica_lag_seconds.set(seconds or 0)

    def start(self) -> None:
        self._task = asyncio.create_task(self._poll(), name="read model position")

    async def _poll(self) -> None:
        rounds = 0
        while True:
            try:
                await self.refresh(with_head=rounds % LAG_EVERY == 0)
            except NotImplementedError:
                pass  # the projector has not landed in this build; reads answer 503 meanwhile
            except (OSError, asyncpg.PostgresError, TimeoutError) as error:
                log.warning("read model position unavailable", extra={"error": type(error).__name__})
            except Exception as error:  # noqa: BLE001 - the poller must outlive a bad moment
                log.error("read model poll failed", extra={"error": type(error).__name__})
            rounds += 1
            await asyncio.sleep(self.refresh_seconds)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
