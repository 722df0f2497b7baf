"""A bulletin's figures composed from the read model as of one position, and the bulletins kept for reading."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any
from uuid import UUID

import asyncpg
from eventsourcing.persistence import Mapper
from eventsourcing.utils import get_topic

from domain.bulletin import Bulletin
from projections import queries
from projections.decode import decoder
from projections.projector import EVENTS
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
        link = f"{dashboard.rstrip('/')}/?as_of={as_of_instant(stats.as_of.recorded_at)}"
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


def as_of_instant(recorded_at: datetime) -> str:
    """An as-of time as the dashboard's `as_of` takes it: "Z", not "+00:00", as a "+" in a query
    string reads as a space."""
    return recorded_at.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def change(figures: dict[str, Any], previous: dict[str, Any] | None) -> dict[str, int] | None:
    """The day's figures minus the previous bulletin's, when that one was about the same day."""
    if previous is None or previous["day"] != figures["day"]:
        return None
    now, before = figures["detentions"], previous["detentions"]
    return {k: now[k] - before[k] for k in ZERO}


def _counts(totals: queries.Totals) -> dict[str, int]:
    return {"verified": totals.verified, "unverified": totals.unverified, "reports": totals.reports}


# -- the bulletins table (written by projections.outbox, in the transaction that folds the event;
#    rebuilt from the log by `svodka replay`) --

COLUMNS = "id, position, slot, composed_at, late, as_of_position, as_of_recorded_at, figures, previous"
PUBLISHED = get_topic(Bulletin.Published)


def bulletin_row(position: int, event: Any) -> tuple:
    """A Bulletin.Published event as its row in the table."""
    return (event.originator_id, position, event.slot, event.composed_at, event.late, event.as_of_position,
            event.as_of_recorded_at, json.dumps(event.figures), event.previous)  # fmt: skip


async def insert(conn: asyncpg.Connection, rows: list[tuple]) -> None:
    if rows:
        await conn.executemany(
            f"INSERT INTO bulletins ({COLUMNS}) VALUES ($1,$2,$3,$4,$5,$6,$7,$8::jsonb,$9) ON CONFLICT DO NOTHING", rows
        )


async def from_log(conn: asyncpg.Connection, mapper: Mapper, upto: int | None = None) -> list[tuple]:
    """Every bulletin the log holds (up to notification `upto`), as rows: found by their topic,
    which is stored in the clear, so only they are decoded."""
    if await conn.fetchval("SELECT to_regclass($1)", EVENTS) is None:
        return []
    rows = await conn.fetch(
        f"SELECT notification_id, originator_id, originator_version, topic, state FROM {EVENTS} "
        "WHERE topic = $1 AND ($2::bigint IS NULL OR notification_id <= $2) ORDER BY notification_id",
        PUBLISHED,
        upto,
    )
    return [bulletin_row(row[0], event) for row, event in zip(rows, decoder(mapper)(rows), strict=True)]


async def rebuild(conn: asyncpg.Connection, mapper: Mapper) -> int:
    """Replace the table with what the log says, in one transaction; how many bulletins."""
    async with conn.transaction():
        rows = await from_log(conn, mapper)
        await conn.execute("DELETE FROM bulletins")
        await insert(conn, rows)
    return len(rows)


async def differ(conn: asyncpg.Connection, mapper: Mapper, upto: int) -> list[str]:
    """Bulletins only the table or only the log (up to `upto`) holds, or that differ."""
    kept = {r["id"]: tuple(r) for r in await conn.fetch(f"SELECT {COLUMNS} FROM bulletins WHERE position <= $1", upto)}
    logged = {row[0]: row for row in await from_log(conn, mapper, upto)}
    found = []
    for bid in sorted(kept.keys() | logged.keys(), key=str):
        live, replayed = kept.get(bid), logged.get(bid)
        if live is not None and replayed is not None:
            live = (*live[:7], json.loads(live[7]) if isinstance(live[7], str) else live[7], live[8])
            replayed = (*replayed[:7], json.loads(replayed[7]), replayed[8])
        if live != replayed:
            found.append(f"bulletins: {'live only' if replayed is None else 'replay only' if live is None else 'differs'} {bid}")
    return found


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
