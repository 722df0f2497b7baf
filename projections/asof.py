"""Figures as known at an instant, from the ledger of count changes, without a replay.

"Known at T" is the log up to P, the last event whose clock (the largest recorded time so far,
see `schema.py`) is at most T: the figures at T are the model's real state after event P.
They are summed from whichever side of P is shorter: the ledger up to P, or the current counts
minus the ledger after P (recent instants, the common question, are cheap).
"""

from __future__ import annotations

from datetime import datetime

import asyncpg

from projections.schema import LIVE

COLUMNS = "day, region, city, status, reports, detained"
NEGATED = "day, region, city, status, -reports, -detained"


async def figures_source(
    conn: asyncpg.Connection, filters: str, args: list, at: datetime | None
) -> tuple[tuple[int, datetime | None], str | None]:
    """((position, recorded_at) the figures are as of, a query of count rows matching `filters`);
    appends to `args` as needed. The query is None when there is no read model yet."""
    if await conn.fetchval("SELECT to_regclass($1)", f"{LIVE}tracking") is None:
        return (0, None), None
    live = await conn.fetchrow(f"SELECT position, recorded_at, clock FROM {LIVE}tracking")
    current = f"SELECT {COLUMNS} FROM {LIVE}counts WHERE {filters}"
    if at is None or (live["clock"] is not None and at >= live["clock"]):
        return (live["position"], live["recorded_at"]), current
    mark = await conn.fetchrow(
        f"SELECT position, recorded_at FROM {LIVE}clock WHERE at <= $1 ORDER BY at DESC, position DESC LIMIT 1", at
    )
    if mark is None:
        return (0, None), f"{current} AND false"
    args.append(mark["position"])
    upto = f"${len(args)}"
    if mark["position"] * 2 <= live["position"]:
        source = f"SELECT {COLUMNS} FROM {LIVE}ledger WHERE {filters} AND position <= {upto}"
    else:
        source = f"{current} UNION ALL SELECT {NEGATED} FROM {LIVE}ledger WHERE {filters} AND position > {upto}"
    return (mark["position"], mark["recorded_at"]), source
