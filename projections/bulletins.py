"""A bulletin's figures composed from the read model as of one position, and the bulletins kept for reading."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any
from uuid import UUID

import asyncpg

from projections import queries
from projections.queries import AsOf

ZERO = {"verified": 0, "unverified": 0, "reports": 0}


async def compose(
    conn: asyncpg.Connection, *, day: date, zone: str, at: datetime, top: int, ttl: timedelta, dashboard: str
) -> tuple[AsOf, dict[str, Any]]:
    """The day's detentions (total, top `top` cities, then the others) and the checkpoints active at
    `at`, all from one snapshot; the position they are as of."""
    async with queries.snapshot(conn):
        stats = await queries.stats(conn, kind="detention", date_from=day, date_to=day, group_by=("city",))
        active = await queries.active_checkpoints(conn, at=at, ttl=ttl)
    cities = sorted(
        (g for g in stats.groups if g.key["city"]),  # "" is a region-level report: among the others
        key=lambda g: (-(g.totals.verified + g.totals.unverified), g.key["city"]),
    )[:top]
    shown = [_counts(g.totals) | {"city": g.key["city"]} for g in cities]
    others = {k: _counts(stats.total)[k] - sum(c[k] for c in shown) for k in ZERO}
    per_region = Counter(c.region for c in active)
    link = None
    if stats.as_of.recorded_at is not None:
        # "Z", not "+00:00": a "+" in a query string reads as a space.
        instant = stats.as_of.recorded_at.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
        link = f"{dashboard.rstrip('/')}/?as_of={instant}"
    figures = {
        "day": day.isoformat(),
        "zone": zone,
        "detentions": _counts(stats.total),
        "cities": shown,
        "others": others,
        "checkpoints": [{"region": r, "active": n} for r, n in sorted(per_region.items())],
        "checkpoints_at": at.isoformat(),
        "dashboard": link,
    }
    return stats.as_of, figures


def change(figures: dict[str, Any], previous: dict[str, Any] | None) -> dict[str, int] | None:
    """The day's figures minus the previous bulletin's, when that one was about the same day."""
    if previous is None or previous["day"] != figures["day"]:
        return None
    now, before = figures["detentions"], previous["detentions"]
    return {k: now[k] - before[k] for k in ZERO}


def _counts(totals: queries.Totals) -> dict[str, int]:
    return {"verified": totals.verified, "unverified": totals.unverified, "reports": totals.reports}


# -- the bulletins table (written by projections.outbox, in the transaction that folds the event) --


@dataclass(frozen=True, slots=True)
class KeptBulletin:
    id: UUID
    position: int  # where the bulletin itself sits in the log
    slot: datetime
    composed_at: datetime
    late: bool
    as_of: AsOf  # the position its figures are as of
    figures: dict[str, Any]
    previous: UUID | None


async def bulletins(conn: asyncpg.Connection, *, limit: int = 20, before: int | None = None) -> list[KeptBulletin]:
    """Newest first; `before` is a log position, for paging back."""
    if await conn.fetchval("SELECT to_regclass('bulletins')") is None:
        return []
    rows = await conn.fetch(
        "SELECT * FROM bulletins WHERE ($1::bigint IS NULL OR position < $1) ORDER BY position DESC LIMIT $2",
        before,
        limit,
    )
    return [_kept(r) for r in rows]


async def bulletin(conn: asyncpg.Connection, bid: UUID) -> KeptBulletin | None:
    if await conn.fetchval("SELECT to_regclass('bulletins')") is None:
        return None
    row = await conn.fetchrow("SELECT * FROM bulletins WHERE id = $1", bid)
    return _kept(row) if row else None


async def latest_bulletin(conn: asyncpg.Connection) -> KeptBulletin | None:
    """For the dashboard: the newest bulletin, or None."""
    found = await bulletins(conn, limit=1)
    return found[0] if found else None


def _kept(row: asyncpg.Record) -> KeptBulletin:
    figures = row["figures"]
    return KeptBulletin(
        id=row["id"],
        position=row["position"],
        slot=row["slot"],
        composed_at=row["composed_at"],
        late=row["late"],
        as_of=AsOf(row["as_of_position"], row["as_of_recorded_at"]),
        figures=json.loads(figures) if isinstance(figures, str) else figures,
        previous=row["previous"],
    )
