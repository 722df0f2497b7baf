"""The figures one page shows, read from the read model in a single snapshot, and the rendered
pages kept by projection position so that a surge of readers costs one cheap query each."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import asyncpg

from api.dashboard.view import View
from projections import bulletins, queries
from projections.bulletins import KeptBulletin


@dataclass(frozen=True)
class Figures:
    by_day: queries.Stats
    by_region: queries.Stats
    checkpoints: list[queries.ActiveCheckpoint]
    by_city: queries.Stats | None = None  # grouped by region and city
    country: queries.Stats | None = None  # by region over every place, for the map; by_region without a place filter
    bulletin: KeptBulletin | None = None  # the latest one (as of the view's instant, for a past one)


class Pages:
    """Rendered pages keyed by (projection position, what was asked, the minute).

    The figures change only when the projection moves, so the key's position makes every worker
    serve the same figures for the same position. Checkpoints also expire with the clock, which
    the minute bounds: an expired one may stay listed for up to a minute, never longer.
    """

    def __init__(self, size: int = 512, checkpoint_ttl: timedelta = queries.DEFAULT_TTL) -> None:
        self.size = size
        self.checkpoint_ttl = checkpoint_ttl  # the configured one, so this page and /v1/checkpoints agree
        self._pages: OrderedDict[tuple, str] = OrderedDict()

    async def get(
        self, pool: asyncpg.Pool, view: View, render: Callable[[Figures], str], *, variant: str = ""
    ) -> str:
        """The page for `view`; `variant` names anything else the rendering depends on (the base path)."""
        # One repeatable-read snapshot: the position in the key, the headline, chart, table and
        # checkpoints all describe the same commit, even while the projector commits meanwhile.
        async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
            # The follower records a bulletin just after the projector folds its event: a page
            # rendered in between must not stand for the new one.
            latest = await bulletins.latest_bulletin(conn)
            key = ((await queries.as_of(conn)).position, latest and latest.position, view.cache_key(), variant)
            page = self._pages.get(key)
            if page is not None:
                self._pages.move_to_end(key)
                return page
            page = render(await _figures(conn, view, self.checkpoint_ttl))
        self._pages[key] = page
        while len(self._pages) > self.size:
            self._pages.popitem(last=False)
        return page


async def _figures(conn: asyncpg.Connection, view: View, ttl: timedelta) -> Figures:
    # The same question /v1/stats answers for the same filters, so the page and the API agree.
    period = {"kind": "detention", "date_from": view.date_from, "date_to": view.date_to, "at": view.at}
    common = {**period, "region": view.region, "city": view.city}
    by_day = await queries.stats(conn, group_by=("day",), **common)
    by_region = await queries.stats(conn, group_by=("region",), **common)
    by_city = await queries.stats(conn, group_by=("region", "city"), **common)
    # The map shows the whole country, with the place asked for outlined.
    country = by_region if view.region is None else await queries.stats(conn, group_by=("region",), **period)
    shown = await bulletins.bulletins(conn, limit=1, before=None if view.at is None else by_day.as_of.position + 1)
    return Figures(by_day, by_region, await _checkpoints(conn, view, ttl), by_city, country, shown[0] if shown else None)


async def _checkpoints(conn: asyncpg.Connection, view: View, ttl: timedelta) -> list[queries.ActiveCheckpoint]:
    try:
        # A savepoint, so a failure here leaves the snapshot usable.
        async with conn.transaction():
            # "As of" a past instant: the checkpoints on the street then, as svodka knew them then.
            return await queries.active_checkpoints(conn, at=view.at or view.now, ttl=ttl, as_of=view.at)
    except asyncpg.UndefinedTableError:
        # Before the projector's first start there is no read model: stats then say "position 0",
        # and there are no checkpoints to list, which is the truth.
        return []
