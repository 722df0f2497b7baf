"""The read model's public questions, answered with asyncpg. The API asks only through here.

CONTRACT (agreed between the projections and the API): names and shapes below are fixed;
the projector fills the tables these read from.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

import asyncpg

from projections.asof import figures_source, known_at
from projections.schema import LIVE

DIMENSIONS = ("day", "region", "city")
DEFAULT_TTL = timedelta(hours=3)  # Settings.checkpoint_ttl's default; callers pass the configured one
EARTH_KM = 6371.0088


@dataclass(frozen=True, slots=True)
class AsOf:
    position: int  # the last notification id folded into the figures
    recorded_at: datetime | None  # when that event was recorded (None before any event)


@dataclass(frozen=True, slots=True)
class Totals:
    verified: int = 0  # detentions for kind=detention, reports for kind=checkpoint
    unverified: int = 0
    reports: int = 0  # counted reports, verified or not


@dataclass(frozen=True, slots=True)
class Group:
    key: dict[str, str]  # one entry per group_by dimension: day -> "YYYY-MM-DD", region -> code, city -> name_en
    totals: Totals


@dataclass(frozen=True, slots=True)
class Stats:
    as_of: AsOf
    total: Totals
    groups: list[Group] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class ActiveCheckpoint:
    id: UUID
    region: str
    city: str | None
    lat: float | None  # coarse, about 1 km; the city's centre, or None when only the region is known
    lon: float | None
    reported_at: datetime  # when svodka learnt of it
    last_confirmed_at: datetime  # the latest sighting or "still there" that kept it active
    expires_at: datetime
    confirmations: int  # "still there" votes that kept it active, one per pseudonym
    status: str  # verified / unverified
    seen_at: datetime | None = None  # when it was seen on the street (the report's occurred_at)


@dataclass(frozen=True, slots=True)
class CheckpointsAsOf:
    as_of: AsOf
    checkpoints: list[ActiveCheckpoint]


@dataclass(frozen=True, slots=True)
class QueueItem:
    id: UUID
    version: int
    kind: str
    region: str
    city: str | None
    local_day: date
    occurred_at: datetime
    submitted_at: datetime
    detained: int | None
    channel: str
    reporter: str | None  # pseudonym
    reporter_blocked: bool
    reporter_reports_last_hour: int


@dataclass(frozen=True, slots=True)
class AbuseSignal:
    reporter: str  # pseudonym
    hour: datetime  # start of the clock hour (UTC) the reports were submitted in
    submitted: int
    rejected: int  # of those submitted in that hour, how many a moderator rejected (so far)
    reporter_blocked: bool


def snapshot(conn: asyncpg.Connection):
    """One snapshot, so figures and their as-of position come from the same commit; inside a
    caller's transaction, the caller's snapshot."""
    if conn.is_in_transaction():
        return contextlib.nullcontext()
    return conn.transaction(isolation="repeatable_read", readonly=True)


async def as_of(conn: asyncpg.Connection) -> AsOf:
    """The projector's current position."""
    if await conn.fetchval("SELECT to_regclass($1)", f"{LIVE}tracking") is None:
        return AsOf(0, None)
    row = await conn.fetchrow(f"SELECT position, recorded_at FROM {LIVE}tracking")
    return AsOf(row["position"], row["recorded_at"])


async def stats(
    conn: asyncpg.Connection,
    *,
    kind: str = "detention",
    date_from: date | None = None,
    date_to: date | None = None,
    region: str | None = None,
    city: str | None = None,
    group_by: tuple[str, ...] = (),
    at: datetime | None = None,
) -> Stats:
    """Counts, optionally as known at instant `at` (from the as-of ledger, never a replay).

    `verified`/`unverified` are detentions for kind=detention and reports for kind=checkpoint.
    A group's city is "" for reports placed only at region level.
    """
    unknown = set(group_by) - set(DIMENSIONS)
    if unknown:
        raise ValueError(f"cannot group by {sorted(unknown)}; choose from {DIMENSIONS}")
    filters, args = ["kind = $1"], [kind]
    for column, op, value in (
        ("day", ">=", date_from),
        ("day", "<=", date_to),
        ("region", "=", region),
        ("city", "=", city),
    ):
        if value is not None:
            args.append(value)
            filters.append(f"{column} {op} ${len(args)}")
    async with snapshot(conn):
        (position, recorded_at), source = await figures_source(conn, " AND ".join(filters), args, at)
        stamp = AsOf(position, recorded_at)
        if source is None:
            return Stats(as_of=stamp, total=Totals())
        measure = "detained" if kind == "detention" else "reports"
        keys = ", ".join(group_by)
        rows = await conn.fetch(
            f"SELECT {keys + ',' if keys else ''} "
            f"coalesce(sum({measure}) FILTER (WHERE status = 'verified'), 0)::bigint AS verified, "
            f"coalesce(sum({measure}) FILTER (WHERE status = 'unverified'), 0)::bigint AS unverified, "
            "coalesce(sum(reports), 0)::bigint AS reports "
            f"FROM ({source}) s {'GROUP BY ' + keys if keys else ''} "
            f"HAVING sum(reports) <> 0 OR sum(detained) <> 0 {'ORDER BY ' + keys if keys else ''}",
            *args,
        )
    groups = [
        Group({d: str(r[d]) for d in group_by}, Totals(r["verified"], r["unverified"], r["reports"]))
        for r in rows
    ]
    total = Totals(
        sum(r["verified"] for r in rows), sum(r["unverified"] for r in rows), sum(r["reports"] for r in rows)
    )
    return Stats(as_of=stamp, total=total, groups=groups if group_by else [])


def public_time(at: datetime) -> datetime:
    """A reporter's time as the public may see it: to the minute (docs/THREAT_MODEL.md, "Public
    precision"). Finer, it could be matched with when an account wrote to the bot."""
    return at.replace(second=0, microsecond=0)


async def active_checkpoints(conn: asyncpg.Connection, **question: Any) -> list[ActiveCheckpoint]:
    """The checkpoints of `checkpoints_as_of` (same arguments), without their as-of stamp."""
    return (await checkpoints_as_of(conn, **question)).checkpoints


async def checkpoints_as_of(
    conn: asyncpg.Connection,
    *,
    at: datetime,
    region: str | None = None,
    near: tuple[float, float] | None = None,
    radius_km: float = 25.0,
    ttl: timedelta = DEFAULT_TTL,
    as_of: datetime | None = None,
) -> CheckpointsAsOf:
    """Two time axes. Of what the log held at `as_of` (its place, status, block and flood hold
    as they stood then): checkpoints seen by `at` whose latest sighting or "still there" is
    less than `ttl` before `at`, and that no ending "gone" seen by `at` cleared.

    A "still there" extends a checkpoint only while it is still active, so a sighting older
    than `ttl` when reported is history: active at its own time, never "now". Every time comes
    from events, so the answer is the same live and after a replay.
    """
    async with snapshot(conn):
        position, recorded_at = await known_at(conn, as_of)
        args: list = [at, ttl, position]
        where = ""
        if region is not None:
            args.append(region)
            where += f" AND v.region = ${len(args)}"
        if near is not None:
            args.extend([near[0], near[1], radius_km])
            lat, lon, radius = (f"${len(args) - i}" for i in (2, 1, 0))
            where += (
                f" AND 2 * {EARTH_KM} * asin(sqrt(power(sin(radians(v.lat - {lat}) / 2), 2)"
                f" + cos(radians({lat})) * cos(radians(v.lat)) * power(sin(radians(v.lon - {lon}) / 2), 2)))"
                f" <= {radius}"
            )
        # last_seen_at never decreases as the log grows, so it bounds every as_of from above.
        rows = await conn.fetch(
            f"""
            SELECT r.id, r.submitted_at, v.region, v.city, v.lat, v.lon, v.occurred_at, v.verified
            FROM {LIVE}reports r
            CROSS JOIN LATERAL (
                SELECT * FROM {LIVE}checkpoints v WHERE v.report_id = r.id AND v.position <= $3
                ORDER BY v.position DESC LIMIT 1
            ) v
            WHERE r.kind = 'checkpoint' AND r.last_seen_at + $2::interval > $1
              AND v.counts AND v.occurred_at <= $1 {where}
            """,
            *args,
        )
        sightings = await conn.fetch(
            f"SELECT report_id, seen_at, gone, ends FROM {LIVE}sightings "
            "WHERE report_id = ANY($1::uuid[]) AND position <= $2 AND seen_at <= $3 ORDER BY seen_at, position",
            [r["id"] for r in rows],
            position,
            at,
        )
    by_report: dict[UUID, list] = {}
    for s in sightings:
        by_report.setdefault(s["report_id"], []).append(s)
    found = []
    for r in rows:
        seen, confirmations = r["occurred_at"], 0
        ended = False
        for s in by_report.get(r["id"], ()):
            if s["gone"]:
                ended = ended or s["ends"]
            elif s["seen_at"] < seen + ttl:  # "still there" while it still was: it lives on
                seen, confirmations = max(seen, s["seen_at"]), confirmations + 1
        if ended or seen + ttl <= at:
            continue
        found.append(ActiveCheckpoint(
            id=r["id"], region=r["region"], city=r["city"], lat=r["lat"], lon=r["lon"],
            seen_at=public_time(r["occurred_at"]), reported_at=public_time(r["submitted_at"]),
            last_confirmed_at=public_time(seen), expires_at=public_time(seen + ttl),
            confirmations=confirmations, status="verified" if r["verified"] else "unverified",
        ))  # fmt: skip
    found.sort(key=lambda c: (-c.last_confirmed_at.timestamp(), str(c.id)))
    return CheckpointsAsOf(AsOf(position, recorded_at), found)


async def moderation_queue(conn: asyncpg.Connection, *, limit: int = 50, offset: int = 0) -> list[QueueItem]:
    """Unreviewed reports, oldest first. Personal fields are not here: a moderator's client
    asks the application for them (`Svodka.personal_fields`), which decrypts on demand."""
    rows = await conn.fetch(
        f"""
        SELECT r.*, (
            SELECT count(*) FROM {LIVE}reports o WHERE o.reporter = r.reporter
            AND o.submitted_at > r.submitted_at - interval '1 hour' AND o.submitted_at <= r.submitted_at
        ) AS last_hour
        FROM {LIVE}reports r WHERE r.status = 'unreviewed'
        ORDER BY r.submitted_at, r.id LIMIT $1 OFFSET $2
        """,
        limit,
        offset,
    )
    return [
        QueueItem(
            id=r["id"],
            version=r["version"],
            kind=r["kind"],
            region=r["region"],
            city=r["city"],
            local_day=r["day"],
            occurred_at=r["occurred_at"],
            submitted_at=r["submitted_at"],
            detained=r["detained"],
            channel=r["channel"],
            reporter=r["reporter"],
            reporter_blocked=r["reporter_blocked"],
            reporter_reports_last_hour=r["last_hour"],
        )
        for r in rows
    ]


async def abuse_signals(
    conn: asyncpg.Connection,
    *,
    since: datetime | None = None,
    reporter: str | None = None,
    min_submitted: int = 1,
    limit: int = 100,
) -> list[AbuseSignal]:
    """Per pseudonym and hour, the busiest first, so a moderator spots a flood at the top."""
    rows = await conn.fetch(
        f"""
        SELECT a.*, coalesce(p.blocked, false) AS blocked FROM {LIVE}abuse a
        LEFT JOIN {LIVE}reporters p ON p.pseudonym = a.reporter
        WHERE ($1::timestamptz IS NULL OR a.hour >= date_trunc('hour', $1::timestamptz, 'UTC'))
          AND ($2::text IS NULL OR a.reporter = $2) AND a.submitted >= $3
        ORDER BY a.submitted DESC, a.hour DESC, a.reporter LIMIT $4
        """,
        since,
        reporter,
        min_submitted,
        limit,
    )
    return [AbuseSignal(r["reporter"], r["hour"], r["submitted"], r["rejected"], r["blocked"]) for r in rows]

