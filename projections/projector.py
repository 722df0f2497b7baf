"""The projector: follows the event store's notification log into the read model, exactly once.

Each batch is read, decoded with the application's own mapper (so decryption, decompression and
upcasting apply), folded, written, and the tracking position advanced, all in one transaction.

Reading `notification_id > last ORDER BY notification_id` never skips an event only because the
library inserts under `LOCK TABLE ... IN EXCLUSIVE MODE`, so notification ids become visible in
order. `POSTGRES_ENABLE_DB_FUNCTIONS` drops that lock; svodka never sets it (see README).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import asyncpg
from eventsourcing.persistence import Mapper, StoredEvent

from projections import schema, store

log = logging.getLogger("svodka.projector")
EVENTS = "svodka_events"
CHANNEL = "svodka_events"  # the library NOTIFYs this channel in every insert transaction
LOCK = "SELECT pg_try_advisory_lock(hashtext(current_schema() || ':svodka projector'))"


class Overtaken(RuntimeError):
    """The tracking position moved under this transaction: another projector is writing."""


async def connect(url: str, db_schema: str, name: str = "svodka-projector") -> asyncpg.Connection:
    return await asyncpg.connect(
        url, server_settings={"search_path": f"{db_schema},public", "application_name": name}
    )


def decode(mapper: Mapper, rows: list) -> list[object]:
    return [mapper.to_domain_event(StoredEvent(r[1], r[2], r[3], r[4])) for r in rows]


@dataclass
class Projector:
    mapper: Mapper
    prefix: str = schema.LIVE
    batch_size: int = 2000
    # Called after the batch is written and before it commits; tests inject faults here.
    before_commit: Callable[[int], Awaitable[None]] | None = None

    async def step(self, conn: asyncpg.Connection, stop: int | None = None) -> int:
        """Fold the next batch (up to notification `stop`); return how many events it held."""
        p = self.prefix
        async with conn.transaction():
            # FOR UPDATE: a second writer (a lost lock, a replay's swap) waits here, not midway.
            position, clock = await conn.fetchrow(f"SELECT position, clock FROM {p}tracking FOR UPDATE")
            rows = await self._read(conn, position, stop)
            if not rows:
                return 0
            events = decode(self.mapper, rows)
            fold = await store.load(conn, p, events, clock)
            for row, event in zip(rows, events, strict=True):
                fold.apply(row[0], event)
            await store.write(conn, p, fold)
            if self.before_commit is not None:
                await self.before_commit(fold.position)
            done = await conn.execute(
                f"UPDATE {p}tracking SET position = $1, recorded_at = $2, clock = $3 WHERE position = $4",
                fold.position,
                fold.recorded_at,
                fold.clock,
                position,
            )
            if done != "UPDATE 1":
                raise Overtaken(f"tracking left position {position} during the batch")
        return len(rows)

    async def _read(self, conn: asyncpg.Connection, position: int, stop: int | None) -> list:
        if await conn.fetchval("SELECT to_regclass($1)", EVENTS) is None:
            return []  # the application has not created its table yet
        upto = "" if stop is None else f"AND notification_id <= {int(stop)}"
        return await conn.fetch(
            "SELECT notification_id, originator_id, originator_version, topic, state "
            f"FROM {EVENTS} WHERE notification_id > $1 {upto} ORDER BY notification_id LIMIT $2",
            position,
            self.batch_size,
        )

    async def catch_up(
        self, conn: asyncpg.Connection, stop: int | None = None, progress: Callable[[int], None] | None = None
    ) -> int:
        total = 0
        while count := await self.step(conn, stop):
            total += count
            if progress is not None:
                progress(count)
        return total

    async def follow(self, url: str, db_schema: str, *, poll: float = 1.0, standby: float = 1.0) -> None:
        """Run until cancelled: hold the advisory lock (or wait as a hot standby) and fold new
        events as NOTIFY announces them; the poll is a safety net for a missed notification."""
        while True:
            try:
                conn = await connect(url, db_schema)
                try:
                    while not await conn.fetchval(LOCK):
                        await asyncio.sleep(standby)
                    log.info("projector active", extra={"schema": db_schema})
                    await self._follow(conn, poll)
                finally:
                    await conn.close()  # closing the session releases the advisory lock
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, Overtaken) as error:
                log.warning("projector lost its connection; retrying", extra={"error": str(error)})
                await asyncio.sleep(standby)

    async def _follow(self, conn: asyncpg.Connection, poll: float) -> None:
        await schema.create(conn, self.prefix)
        woken = asyncio.Event()
        await conn.add_listener(CHANNEL, lambda *_: woken.set())
        while True:
            woken.clear()
            while await self.step(conn) == self.batch_size:
                pass
            try:
                await asyncio.wait_for(woken.wait(), poll)
            except TimeoutError:
                pass
