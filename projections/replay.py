"""Replay: rebuild the read model from position 0 into staging tables, then swap them in
atomically, or (`verify`) compare them with the live model and report the first differences;
the bulletins table likewise, from the log's Bulletin events.

The live projector keeps running meanwhile. The swap locks the live tables, folds the last
few events into the staging tables in the same transaction, and renames; a live projector
blocked on that lock resumes on the new tables from their tracking position.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import asyncpg
from eventsourcing.persistence import Mapper

from projections import bulletins, outbox_store, schema
from projections.projector import EVENTS, Projector, connect
from projections.schema import DERIVED, LIVE, STAGING, TABLES

REPLAY_LOCK = "SELECT pg_try_advisory_lock(hashtext(current_schema() || ':svodka replay'))"
Progress = Callable[[int], None]


class ReplayBusy(RuntimeError):
    pass


@dataclass
class Outcome:
    position: int
    events: int
    differences: list[str] = field(default_factory=list)


async def head(conn: asyncpg.Connection) -> int:
    if await conn.fetchval("SELECT to_regclass($1)", EVENTS) is None:
        return 0
    return await conn.fetchval(f"SELECT coalesce(max(notification_id), 0) FROM {EVENTS}")


async def replay(
    url: str,
    db_schema: str,
    mapper: Mapper,
    *,
    verify: bool = False,
    batch_size: int = 5000,
    progress: Progress | None = None,
    total: Callable[[int], None] | None = None,
) -> Outcome:
    """Rebuild from position 0; swap it in, or with `verify` compare and drop it."""
    conn = await connect(url, db_schema, "svodka-replay")
    try:
        if not await conn.fetchval(REPLAY_LOCK):
            raise ReplayBusy("another replay is running on this schema")
        # A crash here loses only staging rows, rebuilt next time: no need to wait for the disk.
        await conn.execute("SET synchronous_commit = off")
        live = await schema.exists(conn, LIVE)
        stop = await conn.fetchval(f"SELECT position FROM {LIVE}tracking") if verify and live else None
        if total is not None:
            total(stop if stop is not None else await head(conn))
        await schema.drop(conn, STAGING)
        await schema.create(conn, STAGING, indexes=False)
        projector = Projector(mapper, prefix=STAGING, batch_size=batch_size)
        reader = await connect(url, db_schema, "svodka-replay-reader")
        try:
            events = await projector.catch_up(conn, stop, progress, reader=reader)
        finally:
            await reader.close()
        await schema.create_indexes(conn, STAGING)
        await conn.execute(";".join(f"ANALYZE {STAGING}{t}" for t in TABLES))  # plans for the new rows
        if verify:
            outcome = await _compare(conn, projector, live, progress)
            await schema.drop(conn, STAGING)
        else:
            outcome = await _swap(conn, projector, live, progress)
        # The bulletins kept for /v1/bulletins and the dashboard are read model too, though the
        # outbox follower writes them: rebuilt (or compared) from the log's Bulletin events.
        await outbox_store.create(conn)
        if verify:
            # Only as far as both the read model and the follower have come.
            upto = min(outcome.position, await conn.fetchval("SELECT position FROM outbox_tracking"))
            outcome.differences.extend(await bulletins.differ(conn, mapper, upto))
        else:
            await bulletins.rebuild(conn, mapper)
        outcome.events += events
        return outcome
    finally:
        await conn.close()


async def _swap(conn: asyncpg.Connection, projector: Projector, live: bool, progress: Progress | None) -> Outcome:
    async with conn.transaction():
        if live:
            await conn.execute(f"LOCK TABLE {' , '.join(LIVE + t for t in TABLES)} IN ACCESS EXCLUSIVE MODE")
        events = await projector.catch_up(conn, None, progress)
        await schema.swap_in(conn, STAGING, LIVE)
        position = await conn.fetchval(f"SELECT position FROM {LIVE}tracking")
    return Outcome(position, events)


async def _compare(conn: asyncpg.Connection, projector: Projector, live: bool, progress: Progress | None) -> Outcome:
    if not live:
        return Outcome(0, 0, ["there is no live read model to compare with"])
    async with conn.transaction():
        # SHARE mode holds the live projector at its next write, so both sides stop at one position.
        await conn.execute(f"LOCK TABLE {LIVE}tracking IN SHARE MODE")
        position = await conn.fetchval(f"SELECT position FROM {LIVE}tracking")
        events = await projector.catch_up(conn, position, progress)
        differences = await differ(conn, LIVE, STAGING)
    return Outcome(position, events, differences)


async def differ(conn: asyncpg.Connection, ours: str, theirs: str, most: int = 10) -> list[str]:
    """The first rows that only one side holds, table by table."""
    found: list[str] = []
    for table in (t for t in TABLES if t not in DERIVED):
        for side, a, b in (("live only", ours, theirs), ("replay only", theirs, ours)):
            rows = await conn.fetch(
                f"SELECT x::text FROM (SELECT * FROM {a}{table} EXCEPT ALL SELECT * FROM {b}{table}) x "
                f"LIMIT {most - len(found)}"
            )
            found.extend(f"{table}: {side} {r[0]}" for r in rows)
            if len(found) >= most:
                return found
    return found
