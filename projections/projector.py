"""The projector: follows the event store's notification log into the read model, exactly once.

Each batch is read in log order, decoded with the application's own mapper (so decryption,
decompression and upcasting apply) and folded; its writes and the new tracking position commit
in one transaction, which first checks, under a row lock, that the position is still the one
the batch was folded from. So every event is applied exactly once, whatever dies when.

Reading `notification_id > last ORDER BY notification_id` never skips an event only because the
library inserts under `LOCK TABLE ... IN EXCLUSIVE MODE`, so notification ids become visible in
order. `POSTGRES_ENABLE_DB_FUNCTIONS` drops that lock; svodka never sets it (see README).
"""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import asyncpg
from eventsourcing.persistence import Mapper

from projections import schema, store
from projections.decode import Decode, decoder
from projections.rows import Changes
from projections.memory import State

log = logging.getLogger("svodka.projector")
EVENTS = "svodka_events"
CHANNEL = "svodka_events"  # the library NOTIFYs this channel in every insert transaction
LOCK = "SELECT pg_try_advisory_lock(hashtext(current_schema() || ':svodka projector'))"
RETRY = 10.0  # seconds before a failed projector tries again
# Events decoded or folded between chances for the pending write to progress: its dozen round
# trips each wait for one, so a smaller slice finishes it sooner (250 left the fold waiting).
SLICE = 50


class Overtaken(RuntimeError):
    """The tracking position moved under this transaction: another projector is writing."""


async def connect(url: str, db_schema: str, name: str = "svodka-projector") -> asyncpg.Connection:
    return await asyncpg.connect(
        url, server_settings={"search_path": f"{db_schema},public", "application_name": name}
    )


def tune_collector() -> None:
    """A fold allocates millions of short-lived objects and almost no cycles; with the default
    thresholds the collector keeps rescanning the rows held in memory, a fifth of the CPU.
    At 50,000 it still scanned each batch's objects while they lived (0.6 s per 200k events,
    a tenth of the CPU); at a million, a collection comes every few batches and finds only the
    current one alive. Process-wide, so the composition root calls it for processes that run
    a projector."""
    gc.set_threshold(1_000_000, 20, 100)


@dataclass
class Projector:
    mapper: Mapper
    prefix: str = schema.LIVE
    batch_size: int = 5000
    # Called after a batch is written and before it commits; tests inject faults here.
    before_commit: Callable[[int], Awaitable[None]] | None = None
    memory: int = 50_000  # report rows kept in memory between batches
    snapshot_every: int = 100_000  # events between two snapshots of the counts (for as-of)
    _state: State | None = field(default=None, init=False, repr=False)
    _state_at: tuple[int, int] | None = field(default=None, init=False, repr=False)  # (table oid, position)
    _decode_rows: Decode = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._decode_rows = decoder(self.mapper)  # the mapper's own steps (see projections.decode)

    async def catch_up(
        self,
        conn: asyncpg.Connection,
        stop: int | None = None,
        progress: Callable[[int], None] | None = None,
        *,
        reader: asyncpg.Connection | None = None,
    ) -> int:
        """Fold every event after the tracking position (up to notification `stop`).

        Each batch commits on `conn` in its own transaction. Given a second connection
        `reader`, the next batch is read, decoded and folded while the previous one is still
        being written (and the one after that read while this one decodes), so Python and
        PostgreSQL work at the same time.
        """
        reader = reader or conn
        await store.tune(conn)
        p = self.prefix
        pending: asyncio.Task | None = None
        inflight: Changes | None = None  # what `pending` writes: memory keeps those rows
        ahead: asyncio.Task | None = None  # reading the batch after this one
        total = 0
        try:
            table, position, clock = await reader.fetchrow(f"SELECT tableoid::int, position, clock FROM {p}tracking")
            if self._state is None or self._state_at != (table, position):
                self._state = await store.remember(reader, p, clock, self.memory)
            state = self._state
            rows = await self._read(reader, position, stop)
            while rows:
                if reader is not conn:
                    # The reader is free until the load: the next batch comes in while this one decodes.
                    ahead = asyncio.create_task(self._read(reader, rows[-1][0], stop))
                events = await self._decode(rows)
                following = await ahead if ahead is not None else None
                state.trim(inflight.touched if inflight else set(), inflight.touched_abuse if inflight else set())
                # A block reads every report of a pseudonym: from the table, and from memory those
                # of the batch still being written (which memory keeps until it commits).
                fold = await store.load(reader, p, events, state, inflight.touched if inflight else ())
                for i, (row, event) in enumerate(zip(rows, events, strict=True)):
                    fold.apply(row[0], event)
                    if i % SLICE == SLICE - 1:
                        await asyncio.sleep(0)  # let the pending write make progress
                changes = fold.changes()
                await _settled(pending)
                pending, inflight = asyncio.create_task(self._commit(conn, table, position, changes)), changes
                position = changes.position
                total += len(rows)
                if progress is not None:
                    progress(len(rows))
                if reader is conn:
                    pending, inflight = await _settled(pending), None
                    rows = await self._read(reader, position, stop)
                else:
                    rows, ahead = following, None
            await _settled(pending)
        except BaseException:
            self._state = None  # memory may hold changes that did not commit
            if ahead is not None:
                ahead.cancel()
                await asyncio.gather(ahead, return_exceptions=True)
            if pending is not None:
                pending.cancel()
                await asyncio.gather(pending, return_exceptions=True)
            raise
        return total

    async def _commit(self, conn: asyncpg.Connection, table: int, position: int, changes: Changes) -> None:
        p = self.prefix
        async with conn.transaction():
            # FOR UPDATE: a second writer (a lost lock, a replay's swap) waits here, not midway.
            found = await conn.fetchrow(f"SELECT tableoid::int, position FROM {p}tracking FOR UPDATE")
            if tuple(found) != (table, position):
                raise Overtaken(f"the read model moved from {position} to {found[1]} under this projector")
            await store.write(conn, p, changes)
            if changes.position // self.snapshot_every > position // self.snapshot_every:
                await conn.execute(f"INSERT INTO {p}snapshots SELECT $1, * FROM {p}counts", changes.position)
            if self.before_commit is not None:
                await self.before_commit(changes.position)
            await conn.execute(
                f"UPDATE {p}tracking SET position = $1, recorded_at = $2, clock = $3",
                changes.position,
                changes.recorded_at,
                changes.clock,
            )
        self._state_at = (table, changes.position)

    async def _decode(self, rows: list) -> list[object]:
        events: list[object] = []
        for start in range(0, len(rows), SLICE):
            events.extend(self._decode_rows(rows[start : start + SLICE]))
            await asyncio.sleep(0)  # let the pending write make progress
        return events

    async def _read(self, conn: asyncpg.Connection, position: int, stop: int | None) -> list:
        upto = "" if stop is None else f"AND notification_id <= {int(stop)}"
        try:
            async with conn.transaction():  # a savepoint inside a caller's transaction
                return await conn.fetch(
                    "SELECT notification_id, originator_id, originator_version, topic, state "
                    f"FROM {EVENTS} WHERE notification_id > $1 {upto} ORDER BY notification_id LIMIT $2",
                    position,
                    self.batch_size,
                )
        except asyncpg.UndefinedTableError:
            return []  # the application has not created its table yet

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
                    reader = await connect(url, db_schema, "svodka-projector-reader")
                    try:
                        await self._follow(conn, reader, poll)
                    finally:
                        await reader.close()
                finally:
                    await conn.close()  # closing the session releases the advisory lock
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, Overtaken) as error:
                log.warning("projector interrupted; resuming", extra={"error": str(error)})
                await asyncio.sleep(standby)
            except Exception:
                # A bug or an event it cannot read: say so loudly, keep the process up, retry.
                log.exception("projector failed; retrying in %s s", RETRY)
                await asyncio.sleep(RETRY)

    async def _follow(self, conn: asyncpg.Connection, reader: asyncpg.Connection, poll: float) -> None:
        await schema.create(conn, self.prefix)
        woken = asyncio.Event()
        await conn.add_listener(CHANNEL, lambda *_: woken.set())
        while True:
            woken.clear()
            await self.catch_up(conn, reader=reader)
            try:
                await asyncio.wait_for(woken.wait(), poll)
            except TimeoutError:
                pass


async def _settled(task: asyncio.Task | None) -> None:
    if task is not None:
        await task
