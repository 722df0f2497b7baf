"""The read model's tables. They live in the deployment's schema under the prefix `rm_`,
so the API finds them through its search_path; a replay builds the same tables under
`rmx_` and renames them in, in one transaction, so a reader sees the old model or the new one.
"""

from __future__ import annotations

import asyncpg

LIVE = "rm_"
STAGING = "rmx_"
# Raise it with any change to the tables or to what the fold computes: a model built by another
# version is refused (`Outdated`) until `svodka replay` rebuilds it and swaps it in.
MODEL_VERSION = 1
MARKER = "svodka read model v{}"
TABLES = (
    "tracking", "reports", "reporters", "counts", "ledger", "clock", "snapshots", "sightings", "checkpoints", "abuse",
)
# Snapshot positions follow batch boundaries, so a replay takes them elsewhere: not compared.
DERIVED = ("snapshots",)

# One row: the last notification folded in, that event's recorded time, and the ledger clock
# (the largest recorded time so far; see `ledger` below).
TABLE_DDL = """
CREATE TABLE {p}tracking (
    one boolean PRIMARY KEY DEFAULT true CHECK (one),
    position bigint NOT NULL,
    recorded_at timestamptz,
    clock timestamptz
);
INSERT INTO {p}tracking (position) VALUES (0);

-- What the fold needs to know about each report, and what moderators and the checkpoint map show.
-- No personal field: the sealed text and the precise point stay in the event store.
CREATE TABLE {p}reports (
    id uuid PRIMARY KEY,
    version integer NOT NULL,
    kind text NOT NULL,
    channel text NOT NULL,
    reporter text,
    region text NOT NULL,
    city text,
    day date NOT NULL,
    occurred_at timestamptz NOT NULL,
    detained integer,
    lat double precision,
    lon double precision,
    status text NOT NULL,
    submitted_at timestamptz NOT NULL,
    held boolean NOT NULL,              -- over the flood limit: counts only once verified
    reporter_blocked boolean NOT NULL,
    confirmations integer NOT NULL,
    last_seen_at timestamptz NOT NULL,  -- the latest sighting or "still there" ever known (never decreases)
    ended_at timestamptz,               -- rejected, duplicate or retracted (recorded time; reopening clears it)
    cleared_at timestamptz              -- a checkpoint's ending "gone" (the time it was seen gone)
);

-- The fold reads every report of a pseudonym when it is blocked: built even during a replay.
CREATE INDEX {p}reports_reporter ON {p}reports (reporter, submitted_at);

CREATE TABLE {p}reporters (
    id uuid PRIMARY KEY,
    pseudonym text NOT NULL UNIQUE,
    blocked boolean NOT NULL,
    forgotten boolean NOT NULL
);

-- Current figures per cell; city '' when only the region is known (a key cannot be NULL).
CREATE TABLE {p}counts (
    kind text NOT NULL,
    region text NOT NULL,
    city text NOT NULL,
    day date NOT NULL,
    status text NOT NULL,
    reports bigint NOT NULL,
    detained bigint NOT NULL,
    PRIMARY KEY (kind, region, city, day, status)
);

-- Every change to `counts`, per event: the figures after event P are the sum up to P.
CREATE TABLE {p}ledger (position bigint NOT NULL, LIKE {p}counts);

-- One row per event: its recorded time, and the clock (the largest recorded time up to it).
-- Writers' clocks interleave, so "known at T" is the log up to the last event whose clock is
-- at most T: a state the model really passed through, never a mix of before and after.
CREATE TABLE {p}clock (
    position bigint NOT NULL,
    at timestamptz NOT NULL,
    recorded_at timestamptz NOT NULL
);

-- The counts as they stood after event `position`, taken every so many events, so an as-of
-- question starts near its answer instead of at either end of the ledger.
CREATE TABLE {p}snapshots (position bigint NOT NULL, LIKE {p}counts);
CREATE INDEX {p}snapshots_position ON {p}snapshots (position);

-- Every "still there" and "gone" on a checkpoint: the event's position (transaction time) and
-- when it was seen (valid time). `ends`: the "gone" that ended the checkpoint (see Report.clear).
CREATE TABLE {p}sightings (
    report_id uuid NOT NULL,
    position bigint NOT NULL,
    seen_at timestamptz NOT NULL,
    gone boolean NOT NULL,
    ends boolean NOT NULL
);

-- A checkpoint's place, sighting time and whether it counts, as of each event that changed them,
-- so "what was known at as_of" reads the version at or before as_of's position.
CREATE TABLE {p}checkpoints (
    report_id uuid NOT NULL,
    position bigint NOT NULL,
    region text NOT NULL,
    city text,
    lat double precision,
    lon double precision,
    occurred_at timestamptz NOT NULL,
    counts boolean NOT NULL,
    verified boolean NOT NULL
);

-- Per pseudonym and hour of submission: how many reports, and how many of those were rejected.
CREATE TABLE {p}abuse (
    reporter text NOT NULL,
    hour timestamptz NOT NULL,
    submitted integer NOT NULL,
    rejected integer NOT NULL,
    PRIMARY KEY (reporter, hour)
);
"""

# Indexes added after MODEL_VERSION 1's tables: only queries read them, the fold does not, so
# they need no replay. `create` adds any missing one to a read model built before them (IF NOT
# EXISTS: once). That build holds writes to its table while it runs, once, at a start.
ADDED_INDEXES = (
    # An operator's "my reports", newest first, a page at a time (projections/triage.py sent_on).
    "CREATE INDEX IF NOT EXISTS {p}reports_channel ON {p}reports (channel, submitted_at, id)",
)

# Only queries use these: a replay builds them after the bulk load, which is cheaper than row by row.
INDEX_DDL = """
CREATE INDEX {p}ledger_position ON {p}ledger (position);
CREATE INDEX {p}clock_at ON {p}clock (at, position);
CREATE INDEX {p}sightings_report ON {p}sightings (report_id, position);
CREATE INDEX {p}checkpoints_report ON {p}checkpoints (report_id, position);
CREATE INDEX {p}reports_queue ON {p}reports (submitted_at) WHERE status = 'unreviewed';
CREATE INDEX {p}reports_checkpoints ON {p}reports (last_seen_at) WHERE kind = 'checkpoint';
CREATE INDEX {p}abuse_hour ON {p}abuse (hour);
""" + "\n".join(f"{index};" for index in ADDED_INDEXES) + "\n"


class Outdated(RuntimeError):
    """The read model was built by a release with other tables: `svodka replay` rebuilds it."""


async def exists(conn: asyncpg.Connection, prefix: str = LIVE) -> bool:
    return await conn.fetchval("SELECT to_regclass($1) IS NOT NULL", f"{prefix}tracking") is True


async def missing(conn: asyncpg.Connection, prefix: str = LIVE) -> list[str]:
    names = [prefix + t for t in TABLES]
    found = await conn.fetchval("SELECT array_agg(n) FROM unnest($1::text[]) n WHERE to_regclass(n) IS NOT NULL", names)
    return sorted(set(names) - set(found or ()))


async def create(conn: asyncpg.Connection, prefix: str = LIVE, *, indexes: bool = True) -> None:
    """Create the tables (once); concurrent starters serialise on an advisory lock."""
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext(current_schema() || ':rm ddl'))")
        if await exists(conn, prefix):
            lacking = await missing(conn, prefix)
            if lacking:
                raise Outdated(f"the read model lacks {', '.join(lacking)}: run `svodka replay` to rebuild it")
            await check_version(conn, prefix)
            if indexes:
                for index in ADDED_INDEXES:
                    await conn.execute(index.format(p=prefix))
            return
        await conn.execute(TABLE_DDL.format(p=prefix))
        # The version rides on the tracking table's comment, which the replay's rename keeps.
        await conn.execute(f"COMMENT ON TABLE {prefix}tracking IS '{MARKER.format(MODEL_VERSION)}'")
        if indexes:
            await conn.execute(INDEX_DDL.format(p=prefix))


async def check_version(conn: asyncpg.Connection, prefix: str = LIVE) -> None:
    found = await conn.fetchval("SELECT obj_description(to_regclass($1), 'pg_class')", f"{prefix}tracking")
    if found != MARKER.format(MODEL_VERSION):
        built = found or "an earlier svodka"
        raise Outdated(f"the read model was built by {built}; this code folds {MARKER.format(MODEL_VERSION)}: "
                       "run `svodka replay` to rebuild it (the running API keeps serving meanwhile)")  # fmt: skip


async def create_indexes(conn: asyncpg.Connection, prefix: str) -> None:
    await conn.execute(INDEX_DDL.format(p=prefix))


async def drop(conn: asyncpg.Connection, prefix: str) -> None:
    await conn.execute(";".join(f"DROP TABLE IF EXISTS {prefix}{t}" for t in TABLES))


async def swap_in(conn: asyncpg.Connection, old: str = STAGING, new: str = LIVE) -> None:
    """Inside the caller's transaction: drop the live tables and rename the staged ones in."""
    await drop(conn, new)
    indexes = await conn.fetch(
        "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND indexname LIKE $1",
        old.replace("_", r"\_") + "%",
    )
    for table in TABLES:
        await conn.execute(f"ALTER TABLE {old}{table} RENAME TO {new}{table}")
    for (name,) in indexes:
        # Index names are per schema, so the next replay's staging build needs these freed.
        await conn.execute(f"ALTER INDEX {name} RENAME TO {new}{name[len(old):]}")
