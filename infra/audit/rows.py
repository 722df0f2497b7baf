"""The export's rows: every stored event beside its chain entry, in position order, a window at a time.

One SQL join of the events with the chain (FULL OUTER JOIN, ordered by the position of either)
made PostgreSQL hash both tables and sort the whole log before the first row came back: at a
million events several hundred MB spilled to disk, and nothing streamed. Here each table is read
by its primary key, a window of positions at a time, and the three are merged in Python: each
read is an index range scan, so the first rows come at once and the cost per event stays flat.
All reads run in the caller's transaction (one snapshot); the next window is read while the
caller works on this one.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import asyncpg

EVENTS = """SELECT notification_id, originator_id, originator_version, topic, state FROM {s}.svodka_events
WHERE notification_id > $1 AND notification_id <= $2 ORDER BY notification_id LIMIT $3"""
CHAIN = """SELECT notification_id, hash, facts_hash, facts_sha256 FROM {s}.audit_chain
WHERE notification_id > $1 AND notification_id <= $2 ORDER BY notification_id"""
ROTATED = """SELECT notification_id, state_sha256, chained_sha256 FROM {s}.audit_reencryptions
WHERE notification_id > $1 AND notification_id <= $2 ORDER BY notification_id"""
WINDOW = 2_000  # events per window

# A row: (position, originator_id, originator_version, topic, state, hash, facts_hash,
#         rotated_sha256, chained_sha256, facts_sha256); the event's fields are None where the
# chain has an entry and the log no event, the chain's where the log has an event the chain lacks.
Row = tuple


async def joined(conn: asyncpg.Connection, schema: str, last: int, window: int = WINDOW) -> AsyncIterator[list[Row]]:
    """Rows up to position `last`, in position order, a window at a time."""
    pending = asyncio.ensure_future(_window(conn, schema, 0, last, window))
    try:
        while True:
            rows, end = await pending
            if end >= last:
                if rows:
                    yield rows
                return
            pending = asyncio.ensure_future(_window(conn, schema, end, last, window))
            await asyncio.sleep(0)  # the next window's first read goes out before the caller's work
            yield rows
    finally:
        if not pending.done():
            pending.cancel()
            await asyncio.gather(pending, return_exceptions=True)


async def _window(conn: asyncpg.Connection, schema: str, after: int, last: int, size: int) -> tuple[list[Row], int]:
    """The rows in positions (after, end]: `size` events, or up to `last` when fewer remain."""
    events = await conn.fetch(EVENTS.format(s=schema), after, last, size)
    end = events[-1][0] if len(events) == size else last
    chain = await conn.fetch(CHAIN.format(s=schema), after, end)
    rotated = {r[0]: (r[1], r[2]) for r in await conn.fetch(ROTATED.format(s=schema), after, end)}
    return merge(events, chain, rotated), end


def merge(events: list, chain: list, rotated: dict) -> list[Row]:
    """Both lists rise by position: a full outer join of the two, with the rotation of each event."""
    rows: list[Row] = []
    i = j = 0
    while i < len(events) or j < len(chain):
        event = events[i] if i < len(events) else None
        entry = chain[j] if j < len(chain) else None
        if entry is None or (event is not None and event[0] < entry[0]):
            rows.append((*event, None, None, *rotated.get(event[0], (None, None)), None))
            i += 1
        elif event is None or entry[0] < event[0]:
            rows.append((entry[0], None, None, None, None, entry[1], entry[2], None, None, entry[3]))
            j += 1
        else:
            rows.append((*event, entry[1], entry[2], *rotated.get(event[0], (None, None)), entry[3]))
            i, j = i + 1, j + 1
    return rows
