"""Reading the rows a batch touches that memory lacks, and writing back what the fold
changed, in bulk. Every function runs inside the projector's transaction: the caller commits
the writes and the tracking position together, or neither.
"""

from __future__ import annotations

import weakref
from collections.abc import Collection
from datetime import datetime, timedelta, timezone
from uuid import UUID

import asyncpg

from domain.report import Report
from domain.reporter import Reporter
from projections.fold import Fold
from projections.rows import REPORT_COLUMNS, REPORTER_COLUMNS, Changes, ReporterRow, ReportRow, hour_of
from projections.memory import State
CELL = "kind, region, city, day, status"
EVER = datetime.min.replace(tzinfo=timezone.utc)
PG_EPOCH = datetime(2000, 1, 1, tzinfo=timezone.utc)
MICROSECOND = timedelta(microseconds=1)
INFINITY, MINUS_INFINITY = 2**63 - 1, -(2**63)  # PostgreSQL's 'infinity' and '-infinity' timestamps
LATEST = datetime.max.replace(tzinfo=timezone.utc)  # asyncpg's value for 'infinity'
_tuned: weakref.WeakSet[asyncpg.Connection] = weakref.WeakSet()
MERGED = ("reports", "reporters", "abuse", "counts")  # the tables written through a temp table


async def remember(conn: asyncpg.Connection, p: str, clock: datetime | None, limit: int) -> State:
    """Fresh memory for a projector starting at the tracking row's position."""
    reporters = {r["pseudonym"]: ReporterRow(*r.values()) for r in await conn.fetch(f"SELECT * FROM {p}reporters")}
    # Tallies exist only for hours up to the clock's, so every later hour starts complete.
    after = EVER if clock is None else hour_of(clock) + timedelta(hours=1)
    return State(reporters=reporters, clock=clock, abuse_from=after, limit=limit)


async def load(
    conn: asyncpg.Connection, p: str, events: list[object], state: State, pending: Collection[UUID] = ()
) -> Fold:
    """Bring into `state` every row the fold will read, in a few queries: by id, then by pseudonym.

    `pending` are the reports of a batch still being written: memory holds them, the table
    perhaps not yet, so a block finds its pseudonym's among them too, without waiting."""
    report_ids, registered = set(), {}
    for e in events:
        if type(e) is Report.Submitted:
            continue
        if isinstance(e, Report.Event):
            if e.originator_id not in state.reports:
                report_ids.add(e.originator_id)
        elif type(e) is Reporter.Registered:
            registered[e.originator_id] = e.pseudonym
    if report_ids:
        await _reports(conn, state, f"SELECT * FROM {p}reports WHERE id = ANY($1::uuid[])", report_ids)
    targets: dict[str, set[UUID]] = {}
    for e in events:
        if type(e) in (Reporter.Blocked, Reporter.Unblocked):
            targets[registered.get(e.originator_id) or state.names[e.originator_id]] = set()
    if targets:
        # A block moves every report its pseudonym ever sent; those of this batch join in the fold.
        query = f"SELECT * FROM {p}reports WHERE reporter = ANY($1::text[])"
        for rid in await _reports(conn, state, query, targets.keys()):
            targets[state.reports[rid].reporter].add(rid)
        for rid in pending:
            reporter = state.reports[rid].reporter  # a report's reporter never changes
            if reporter in targets:
                targets[reporter].add(rid)
    await _abuse(conn, p, events, state)
    return Fold(state, targets)


async def _reports(conn: asyncpg.Connection, state: State, query: str, arg) -> list[UUID]:
    found = []
    for row in await conn.fetch(query, list(arg)):
        rid = row["id"]
        if rid not in state.reports:  # memory is never older than the table
            state.reports[rid] = ReportRow(*row.values())
        found.append(rid)
    return found


async def _abuse(conn: asyncpg.Connection, p: str, events: list[object], state: State) -> None:
    """Tallies of hours before `abuse_from` that memory lacks (later hours are all in memory)."""
    keys, complete = set(), state.abuse_from
    for e in events:
        if type(e) is Report.Submitted:
            if e.reporter and e.timestamp < complete:
                keys.add((e.reporter, hour_of(e.timestamp)))
        elif type(e) in (Report.Rejected, Report.Reopened):  # a reopened rejection is taken back
            row = state.reports.get(e.originator_id)
            if row is not None and row.reporter and row.submitted_at < complete:
                keys.add((row.reporter, hour_of(row.submitted_at)))
    keys = {key for key in keys if key not in state.abuse}  # not `-= keys()`: that walks all of memory
    if not keys:
        return
    who, hours = zip(*keys, strict=True)
    rows = await conn.fetch(
        f"SELECT a.* FROM {p}abuse a JOIN unnest($1::text[], $2::timestamptz[]) k(r, h) "
        "ON a.reporter = k.r AND a.hour = k.h",
        list(who),
        list(hours),
    )
    for row in rows:
        state.abuse[(row["reporter"], row["hour"])] = [row["submitted"], row["rejected"]]
    for key in keys:
        state.abuse.setdefault(key, [0, 0])


async def tune(conn: asyncpg.Connection) -> None:
    """Timestamps in and out of the writing connection as microseconds since PostgreSQL's epoch.

    asyncpg's own timestamptz encoder costs 0.6 us a value (it converts through `astimezone`);
    the projector writes two per event into `clock` alone, so it halved the cost of that COPY.
    The values are asyncpg's both ways: aware datetimes in UTC, 'infinity' as datetime.max."""
    if isinstance(conn, asyncpg.pool.PoolConnectionProxy):
        return  # a pool's connection is shared with other readers: leave its codecs as they are
    if conn not in _tuned:
        await conn.set_type_codec(
            "timestamptz", schema="pg_catalog", encoder=_timestamp_out, decoder=_timestamp_in, format="tuple"
        )
        _tuned.add(conn)


def _timestamp_out(at: datetime) -> tuple[int]:
    if at.tzinfo is None:
        at = at.astimezone(timezone.utc)  # as asyncpg does: a naive time is local time
    elif at >= LATEST:
        return (INFINITY,)
    elif at <= EVER:
        return (MINUS_INFINITY,)
    return ((at - PG_EPOCH) // MICROSECOND,)


def _timestamp_in(value: tuple[int]) -> datetime:
    micro = value[0]
    if micro == INFINITY:
        return datetime.max  # naive, as asyncpg gives it
    if micro == MINUS_INFINITY:
        return datetime.min
    return PG_EPOCH + timedelta(microseconds=micro)


async def write(conn: asyncpg.Connection, p: str, changes: Changes) -> None:
    """COPY new rows straight in, and changed rows through session temp tables merged by one
    round trip of statements: the cheapest bulk path asyncpg has."""
    await conn.execute(
        ";".join(f"CREATE TEMP TABLE IF NOT EXISTS {p}{t}_in (LIKE {p}{t}) ON COMMIT DELETE ROWS" for t in MERGED)
    )
    merges = []
    if changes.fresh:
        await conn.copy_records_to_table(f"{p}reports", records=changes.fresh, columns=REPORT_COLUMNS)
    if changes.reports:
        await conn.copy_records_to_table(f"{p}reports_in", records=changes.reports)
        merges.append(_upsert(p, "reports", "id", REPORT_COLUMNS))
    if changes.reporters:
        await conn.copy_records_to_table(f"{p}reporters_in", records=changes.reporters)
        merges.append(_upsert(p, "reporters", "id", REPORTER_COLUMNS))
    if changes.abuse:
        await conn.copy_records_to_table(f"{p}abuse_in", records=changes.abuse)
        merges.append(_upsert(p, "abuse", "reporter, hour", ["submitted", "rejected"]))
    if changes.ledger:
        await conn.copy_records_to_table(f"{p}ledger", records=changes.ledger)
    await conn.copy_records_to_table(f"{p}clock", records=changes.clock_rows)
    if changes.sightings:
        await conn.copy_records_to_table(f"{p}sightings", records=changes.sightings)
    if changes.versions:
        await conn.copy_records_to_table(f"{p}checkpoints", records=changes.versions)
    if changes.counts:
        await conn.copy_records_to_table(f"{p}counts_in", records=changes.counts)
        merges.append(
            f"INSERT INTO {p}counts AS c SELECT * FROM {p}counts_in ON CONFLICT ({CELL}) DO UPDATE "
            "SET reports = c.reports + EXCLUDED.reports, detained = c.detained + EXCLUDED.detained"
        )
        # An empty cell is deleted, so the table depends only on the events, not on batch sizes.
        merges.append(
            f"DELETE FROM {p}counts c USING {p}counts_in i WHERE (c.kind, c.region, c.city, c.day, c.status)"
            " = (i.kind, i.region, i.city, i.day, i.status) AND c.reports = 0 AND c.detained = 0"
        )
    if merges:
        await conn.execute(";".join(merges))


def _upsert(p: str, table: str, key: str, columns: list[str]) -> str:
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in columns if c not in key)
    return f"INSERT INTO {p}{table} SELECT * FROM {p}{table}_in ON CONFLICT ({key}) DO UPDATE SET {updates}"
