"""The console's questions to the read model: the filtered queue, its counts per filter, similar
reports and one reporter's signal figures. Personal fields are not here (the application decrypts
them for moderators); the points here are the coarse ones (about 1 km).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from uuid import UUID

import asyncpg

from projections.queries import EARTH_KM
from projections.schema import LIVE

STATUSES = ("unreviewed", "verified", "rejected", "duplicate")
# A pseudonym that sent this many reports in one hour is flooding (the signals page's default).
FLOOD_PER_HOUR = 5
SIMILAR_KM = 5.0
SIMILAR_HOURS = 2
FACETS = ("kind", "region", "city", "day", "status", "flood")


@dataclass(frozen=True, slots=True)
class QueueFilter:
    kind: str | None = None
    region: str | None = None
    city: str | None = None
    day: date | None = None
    status: str | None = "unreviewed"  # None: every status
    flood: bool | None = None  # True: only flooding pseudonyms; False: only the others

    def where(self, skip: str | None = None) -> tuple[str, list[Any]]:
        """The SQL condition on `r` (and its parameters), leaving out the `skip` filter."""
        terms, args = ["r.status <> 'retracted'"], []
        for name in ("kind", "region", "city", "day", "status"):
            value = getattr(self, name)
            if name != skip and value is not None:
                args.append(value)
                terms.append(f"r.{name} = ${len(args)}")
        if skip != "flood" and self.flood is not None:
            terms.append(("" if self.flood else "NOT ") + FLOODING)
        return " AND ".join(terms), args


FLOODING = f"""EXISTS (SELECT 1 FROM {LIVE}abuse a WHERE a.reporter = r.reporter AND a.submitted >= {FLOOD_PER_HOUR})"""


@dataclass(frozen=True, slots=True)
class Row:
    id: UUID
    version: int
    kind: str
    status: str
    region: str
    city: str | None
    day: date
    occurred_at: datetime
    submitted_at: datetime
    detained: int | None
    channel: str
    reporter: str | None
    reporter_blocked: bool
    reporter_last_hour: int
    flooding: bool


@dataclass(frozen=True, slots=True)
class Similar:
    id: UUID
    version: int
    status: str
    city: str | None
    region: str
    occurred_at: datetime
    detained: int | None
    km: float | None  # between the coarse points; None when one has no point
    score: float


@dataclass
class Queue:
    rows: list[Row]
    total: int
    counts: dict[str, list[tuple[Any, int]]] = field(default_factory=dict)  # facet -> (value, count), busiest first


def _row(r: asyncpg.Record) -> Row:
    return Row(r["id"], r["version"], r["kind"], r["status"], r["region"], r["city"], r["day"], r["occurred_at"],
               r["submitted_at"], r["detained"], r["channel"], r["reporter"], r["reporter_blocked"],
               r["last_hour"], r["flooding"])


SELECT_ROWS = f"""
    SELECT r.*, (
        SELECT count(*) FROM {LIVE}reports o WHERE o.reporter = r.reporter
        AND o.submitted_at > r.submitted_at - interval '1 hour' AND o.submitted_at <= r.submitted_at
    ) AS last_hour, {FLOODING} AS flooding
    FROM {LIVE}reports r"""


async def queue(conn: asyncpg.Connection, question: QueueFilter, *, limit: int = 50, offset: int = 0) -> Queue:
    """Reports matching every filter, oldest first; and for each filter, how many match each of its
    values when the others hold (what picking that value would show)."""
    where, args = question.where()
    rows = await conn.fetch(
        f"{SELECT_ROWS} WHERE {where} ORDER BY r.submitted_at, r.id LIMIT ${len(args) + 1} OFFSET ${len(args) + 2}",
        *args, limit, offset,
    )
    total = await count(conn, question)
    counts = {}
    for facet in FACETS:
        facet_where, facet_args = question.where(skip=facet)
        value = FLOODING if facet == "flood" else f"r.{facet}"
        found = await conn.fetch(
            f"SELECT {value} AS value, count(*) AS n FROM {LIVE}reports r WHERE {facet_where} "
            "GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 60", *facet_args,
        )
        counts[facet] = [(r["value"], r["n"]) for r in found]
    return Queue([_row(r) for r in rows], total, counts)


async def count(conn: asyncpg.Connection, question: QueueFilter) -> int:
    where, args = question.where()
    return await conn.fetchval(f"SELECT count(*) FROM {LIVE}reports r WHERE {where}", *args)


async def rows(conn: asyncpg.Connection, ids: list[UUID]) -> list[Row]:
    found = await conn.fetch(f"{SELECT_ROWS} WHERE r.id = ANY($1::uuid[])", ids)
    return [_row(r) for r in found]


# Haversine between coarse points, in km.
_KM = f"""{EARTH_KM} * 2 * asin(sqrt(
    power(sin(radians(c.lat - q.lat) / 2), 2)
    + cos(radians(q.lat)) * cos(radians(c.lat)) * power(sin(radians(c.lon - q.lon) / 2), 2)))"""


async def similar(conn: asyncpg.Connection, ids: list[UUID], *, per_report: int = 3) -> dict[UUID, list[Similar]]:
    """For each report, the likeliest other witnesses of the same event: same kind, same city or
    within SIMILAR_KM, within SIMILAR_HOURS. Duplicates are left out (their root stands for
    them); a match scores higher the closer its place, count and time."""
    found = await conn.fetch(
        f"""
        SELECT q.id AS for_id, s.* FROM {LIVE}reports q CROSS JOIN LATERAL (
            SELECT c.id, c.version, c.status, c.city, c.region, c.occurred_at, c.detained, m.km,
                   (CASE WHEN q.city IS NOT NULL AND c.city = q.city THEN 1.0 ELSE 0 END
                    + CASE WHEN m.km IS NULL THEN 0 ELSE greatest(0, 1 - m.km / $2) END
                    + CASE WHEN q.detained IS NULL OR c.detained IS NULL THEN 0
                      ELSE 1 - abs(q.detained - c.detained)::float / greatest(q.detained, c.detained) END
                    + 1 - abs(extract(epoch FROM c.occurred_at - q.occurred_at)) / ($3::int * 3600.0)
                   ) AS score
            FROM {LIVE}reports c
            CROSS JOIN LATERAL (SELECT CASE WHEN q.lat IS NULL OR c.lat IS NULL THEN NULL ELSE {_KM} END AS km) m
            WHERE c.kind = q.kind AND c.id <> q.id AND c.status IN ('unreviewed', 'verified')
              AND c.occurred_at BETWEEN q.occurred_at - make_interval(hours => $3::int)
                                    AND q.occurred_at + make_interval(hours => $3::int)
              AND ((q.city IS NOT NULL AND c.city = q.city) OR m.km <= $2)
            ORDER BY score DESC, c.submitted_at, c.id LIMIT $4
        ) s WHERE q.id = ANY($1::uuid[])
        """,
        ids, SIMILAR_KM, SIMILAR_HOURS, per_report,
    )
    out: dict[UUID, list[Similar]] = {rid: [] for rid in ids}
    for r in found:
        out[r["for_id"]].append(Similar(r["id"], r["version"], r["status"], r["city"], r["region"], r["occurred_at"],
                                        r["detained"], r["km"], round(r["score"], 2)))
    return out


@dataclass(frozen=True, slots=True)
class ReporterFigures:
    """What a moderator may know of a reporter: how they report, never who they are."""

    reports: dict[str, int]  # status -> count
    busiest_hour: int
    last_hour: int  # in the hour before their latest report
    blocked: bool


async def reporter_figures(conn: asyncpg.Connection, reporter: str) -> ReporterFigures:
    by_status = await conn.fetch(f"SELECT status, count(*) AS n FROM {LIVE}reports WHERE reporter = $1 GROUP BY 1",
                                 reporter)
    busiest = await conn.fetchval(f"SELECT coalesce(max(submitted), 0) FROM {LIVE}abuse WHERE reporter = $1", reporter)
    last_hour = await conn.fetchval(
        f"""SELECT count(*) FROM {LIVE}reports WHERE reporter = $1 AND submitted_at > (
            SELECT max(submitted_at) FROM {LIVE}reports WHERE reporter = $1) - interval '1 hour'""", reporter)
    blocked = await conn.fetchval(f"SELECT blocked FROM {LIVE}reporters WHERE pseudonym = $1", reporter)
    return ReporterFigures({r["status"]: r["n"] for r in by_status}, busiest, last_hour, bool(blocked))


async def folded_version(conn: asyncpg.Connection, rid: UUID) -> int | None:
    """The version of the report the read model has folded so far (None: not yet, or no model)."""
    if not await conn.fetchval("SELECT to_regclass($1) IS NOT NULL", f"{LIVE}reports"):
        return None
    return await conn.fetchval(f"SELECT version FROM {LIVE}reports WHERE id = $1", rid)


async def sent_on(conn: asyncpg.Connection, channel: str, *, limit: int = 100,
                  before: tuple[datetime, UUID] | None = None) -> tuple[list[Row], int]:
    """The reports sent on `channel` (an operator's "my reports"), newest first, and how many there are.

    A page at a time: `before` is the (submitted_at, id) of the last row of the page before, so
    the next page starts where that one ended however many reports came in meanwhile, and reads
    from the index on (channel, submitted_at, id) rather than skipping an OFFSET's rows.
    """
    total = await conn.fetchval(f"SELECT count(*) FROM {LIVE}reports WHERE channel = $1", channel)
    found = await conn.fetch(sent_on_sql(before is not None), channel, limit, *(before or ()))
    return [_row(r) for r in found], total


def sent_on_sql(after: bool) -> str:
    """sent_on's page: $1 the channel, $2 how many, then (with `after`) $3, $4 the row it follows."""
    keyset = "AND (r.submitted_at, r.id) < ($3, $4)" if after else ""
    return f"{SELECT_ROWS} WHERE r.channel = $1 {keyset} ORDER BY r.submitted_at DESC, r.id DESC LIMIT $2"


async def known(conn: asyncpg.Connection, ids: list[UUID]) -> set[UUID]:
    """Which of `ids` the read model holds: an import's dry run marks the rows already stored."""
    found = await conn.fetch(f"SELECT id FROM {LIVE}reports WHERE id = ANY($1::uuid[])", ids)
    return {r["id"] for r in found}
