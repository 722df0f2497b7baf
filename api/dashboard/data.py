"""The figures one page shows, read from the read model in a single snapshot."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from api.dashboard.view import View
from projections import queries


@dataclass(frozen=True)
class Figures:
    by_day: queries.Stats
    by_region: queries.Stats
    checkpoints: list[queries.ActiveCheckpoint]


async def load(pool: asyncpg.Pool, view: View) -> Figures:
    # One repeatable-read snapshot: the headline, chart, table and checkpoints all describe the same
    # log position, even while the projector commits between our queries.
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        common = {"kind": "detention", "date_from": view.date_from, "date_to": view.date_to, "at": view.at}
        by_day = await queries.stats(conn, group_by=("day",), **common)
        by_region = await queries.stats(conn, group_by=("region",), **common)
        checkpoints = await _checkpoints(conn, view)
    return Figures(by_day, by_region, checkpoints)


async def _checkpoints(conn: asyncpg.Connection, view: View) -> list[queries.ActiveCheckpoint]:
    try:
        # A savepoint, so a failure here leaves the snapshot usable.
        async with conn.transaction():
            return await queries.active_checkpoints(conn, at=view.at or view.now)
    except asyncpg.UndefinedTableError:
        # Before the projector's first start there is no read model: stats then say "position 0",
        # and there are no checkpoints to list, which is the truth.
        return []
