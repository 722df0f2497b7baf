"""The outbox's tables, and what operators read of them: depth, oldest age, delivery stats.

An outbox row is one thing to send outward (a channel post, a partner delivery), written in the
transaction that decided it; `infra/outbox` sends it and records the outcome on the row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import asyncpg

from projections import alert_store

NOTIFY = "svodka_outbox"  # NOTIFYed in every transaction that adds rows, so the sender wakes at once

TABLES = """
CREATE TABLE IF NOT EXISTS outbox_tracking (
    id boolean PRIMARY KEY DEFAULT true CHECK (id),
    position bigint NOT NULL
);
INSERT INTO outbox_tracking (position) VALUES (0) ON CONFLICT DO NOTHING;
CREATE TABLE IF NOT EXISTS bulletins (
    id uuid PRIMARY KEY,
    position bigint NOT NULL UNIQUE,
    slot timestamptz NOT NULL,
    composed_at timestamptz NOT NULL,
    late boolean NOT NULL,
    as_of_position bigint NOT NULL,
    as_of_recorded_at timestamptz,
    figures jsonb NOT NULL,
    previous uuid
);
CREATE TABLE IF NOT EXISTS webhooks (
    id uuid PRIMARY KEY,
    url text NOT NULL,
    topics text[] NOT NULL,
    regions text[] NOT NULL,
    registered_by text NOT NULL,
    registered_at timestamptz NOT NULL,
    removed_at timestamptz,
    failing_since timestamptz
);
CREATE TABLE IF NOT EXISTS outbox (
    id bigserial PRIMARY KEY,
    kind text NOT NULL,
    target text NOT NULL,
    delivery uuid NOT NULL UNIQUE,
    position bigint NOT NULL,
    body text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    state text NOT NULL DEFAULT 'pending',
    attempts integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error text,
    sent_at timestamptz,
    message_id bigint
);
CREATE INDEX IF NOT EXISTS outbox_pending ON outbox (target, id) WHERE state = 'pending';
CREATE TABLE IF NOT EXISTS outbox_counters (
    kind text NOT NULL,
    outcome text NOT NULL,
    n bigint NOT NULL,
    PRIMARY KEY (kind, outcome)
);
CREATE TABLE IF NOT EXISTS outbox_reports (
    id uuid PRIMARY KEY,
    kind text NOT NULL,
    region text NOT NULL,
    city text,
    lat double precision,
    lon double precision,
    submitted_at timestamptz NOT NULL,
    confirmers text[] NOT NULL DEFAULT '{}',
    alerted boolean NOT NULL DEFAULT false,
    ended boolean NOT NULL DEFAULT false
);
CREATE TABLE IF NOT EXISTS outbox_regions (
    region text PRIMARY KEY,
    since timestamptz NOT NULL
);
"""
LOCK_TABLES = "SELECT pg_advisory_xact_lock(hashtext(current_schema() || ':svodka outbox tables'))"


async def create(conn: asyncpg.Connection) -> None:
    """Idempotent; a lock, because CREATE ... IF NOT EXISTS races with itself on the catalog."""
    async with conn.transaction():
        await conn.execute(LOCK_TABLES)
        await conn.execute(TABLES)
        await conn.execute(alert_store.TABLES)


async def exists(conn: asyncpg.Connection) -> bool:
    return await conn.fetchval("SELECT to_regclass('outbox') IS NOT NULL")


@dataclass(frozen=True, slots=True)
class Depth:
    pending: int
    oldest_age_seconds: float  # 0 when nothing is waiting
    counters: dict[tuple[str, str], int]  # (kind, outcome) -> count: sent, failed (an attempt), given_up


async def depth(conn: asyncpg.Connection) -> Depth:
    if not await exists(conn):
        return Depth(0, 0.0, {})
    row = await conn.fetchrow(
        "SELECT count(*) AS n, coalesce(extract(epoch FROM now() - min(created_at)), 0)::float8 AS age "
        "FROM outbox WHERE state = 'pending'"
    )
    counters = {(r["kind"], r["outcome"]): r["n"] for r in await conn.fetch("SELECT * FROM outbox_counters")}
    return Depth(row["n"], row["age"], counters)


@dataclass(frozen=True, slots=True)
class WebhookStats:
    id: UUID
    url: str
    topics: list[str]
    regions: list[str]
    registered_by: str
    registered_at: datetime
    status: str  # active, failing or removed
    sent: int
    pending: int
    given_up: int
    failed_attempts: int
    last_sent_at: datetime | None


async def webhooks(conn: asyncpg.Connection, *, with_removed: bool = False) -> list[WebhookStats]:
    if not await exists(conn):
        return []
    rows = await conn.fetch(
        """
        SELECT w.*, count(o.id) FILTER (WHERE o.state = 'sent') AS sent,
               count(o.id) FILTER (WHERE o.state = 'pending') AS pending,
               count(o.id) FILTER (WHERE o.state = 'given_up') AS given_up,
               coalesce(sum(o.attempts - (o.state = 'sent')::int), 0) AS failed_attempts,
               max(o.sent_at) AS last_sent_at
        FROM webhooks w LEFT JOIN outbox o ON o.target = 'webhook:' || w.id::text
        WHERE $1 OR w.removed_at IS NULL
        GROUP BY w.id ORDER BY w.registered_at, w.id
        """,
        with_removed,
    )
    return [
        WebhookStats(
            id=r["id"], url=r["url"], topics=list(r["topics"]), regions=list(r["regions"]),
            registered_by=r["registered_by"], registered_at=r["registered_at"],
            status="removed" if r["removed_at"] else "failing" if r["failing_since"] else "active",
            sent=r["sent"], pending=r["pending"], given_up=r["given_up"],
            failed_attempts=r["failed_attempts"], last_sent_at=r["last_sent_at"],
        )  # fmt: skip
        for r in rows
    ]
