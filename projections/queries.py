"""The read model's public questions, answered with asyncpg. The API asks only through here.

CONTRACT (agreed between the projections and the API): names and shapes below are fixed;
the projector fills the tables these read from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from uuid import UUID

import asyncpg

DIMENSIONS = ("day", "region", "city")


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
    lat: float  # coarse, about 1 km
    lon: float
    reported_at: datetime
    last_confirmed_at: datetime
    expires_at: datetime
    confirmations: int
    status: str  # verified / unverified


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


async def as_of(conn: asyncpg.Connection) -> AsOf:
    """The projector's current position."""
    raise NotImplementedError


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
    """Counts, optionally as known at instant `at` (from the as-of ledger, never a replay)."""
    raise NotImplementedError


async def active_checkpoints(
    conn: asyncpg.Connection,
    *,
    at: datetime,
    region: str | None = None,
    near: tuple[float, float] | None = None,
    radius_km: float = 25.0,
) -> list[ActiveCheckpoint]:
    """Checkpoints active at `at`: submitted by then, not cleared by then, not yet expired."""
    raise NotImplementedError


async def moderation_queue(conn: asyncpg.Connection, *, limit: int = 50, offset: int = 0) -> list[QueueItem]:
    """Unreviewed reports, oldest first."""
    raise NotImplementedError
