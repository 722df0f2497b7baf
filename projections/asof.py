"""Figures as known at an instant, from the ledger of count changes, without a replay.

"Known at T" is the log up to P, the last event whose clock (the largest recorded time so far,
see `schema.py`) is at most T: the figures at T are the model's real state after event P.
They start from the nearest known state, the current counts or a snapshot (a copy of the counts
the projector takes every so many events), and add or take away the ledger rows in between, so
no question sums more than half a snapshot interval of ledger rows.
"""

from __future__ import annotations

from datetime import datetime

import asyncpg

from projections.schema import LIVE

COLUMNS = "day, region, city, status, reports, detained"
NEGATED = "day, region, city, status, -reports, -detained"


async def known_at(conn: asyncpg.Connection, at: datetime | None) -> tuple[int, datetime | None]:
    """(position, recorded_at) of the last event known at `at` (the current position when None)."""
    live = await conn.fetchrow(f"SELECT position, recorded_at, clock FROM {LIVE}tracking")
    if at is None or (live["clock"] is not None and at >= live["clock"]):
        return live["position"], live["recorded_at"]
    mark = await conn.fetchrow(
        f"SELECT position, recorded_at FROM {LIVE}clock WHERE at <= $1 ORDER BY at DESC, position DESC LIMIT 1", at
    )
    return (0, None) if mark is None else (mark["position"], mark["recorded_at"])


async def figures_source(
    conn: asyncpg.Connection, filters: str, args: list, at: datetime | None
) -> tuple[tuple[int, datetime | None], str | None]:
    """((position, recorded_at) the figures are as of, a query of count rows matching `filters`);
    appends to `args` as needed. The query is None when there is no read model yet."""
    if await conn.fetchval("SELECT to_regclass($1)", f"{LIVE}tracking") is None:
        return (0, None), None
    (target, recorded_at), now = await known_at(conn, at), await conn.fetchval(f"SELECT position FROM {LIVE}tracking")
    current = f"SELECT {COLUMNS} FROM {LIVE}counts WHERE {filters}"
    if target == now:
        return (target, recorded_at), current
    if target == 0:
        return (0, None), f"{current} AND false"
    below = await conn.fetchval(f"SELECT max(position) FROM {LIVE}snapshots WHERE position <= $1", target)
    above = await conn.fetchval(f"SELECT min(position) FROM {LIVE}snapshots WHERE position > $1", target)
    # (ledger rows to read, where to start): the empty model at 0 or a snapshot below, the live
    # counts (None), or a snapshot above.
    options = [(target - (below or 0), below or 0), (now - target, None)]
    if above is not None:
        options.append((above - target, above))
    start = min(options, key=lambda option: option[0])[1]
    args.append(target)
    upto = f"${len(args)}"
    if start is None:
        source = f"{current} UNION ALL SELECT {NEGATED} FROM {LIVE}ledger WHERE {filters} AND position > {upto}"
    elif start <= target:
        args.append(start)
        source = (
            f"SELECT {COLUMNS} FROM {LIVE}snapshots WHERE {filters} AND position = ${len(args)} UNION ALL "
            f"SELECT {COLUMNS} FROM {LIVE}ledger WHERE {filters} AND position > ${len(args)} AND position <= {upto}"
        )
    else:
        args.append(start)
        source = (
            f"SELECT {COLUMNS} FROM {LIVE}snapshots WHERE {filters} AND position = ${len(args)} UNION ALL "
            f"SELECT {NEGATED} FROM {LIVE}ledger WHERE {filters} AND position > {upto} AND position <= ${len(args)}"
        )
    return (target, recorded_at), source
