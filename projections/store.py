"""Reading the rows a batch touches, and writing back what the fold changed, in bulk.

Every function runs inside the projector's transaction: the caller commits the writes and the
tracking position together, or neither.
"""

from __future__ import annotations

from dataclasses import fields
from operator import attrgetter
from datetime import datetime
from uuid import UUID

import asyncpg

from domain.report import Report
from domain.reporter import Reporter, reporter_id
from projections.fold import Fold, ReporterRow, ReportRow, hour_of

REPORT_COLUMNS = [f.name for f in fields(ReportRow)]
REPORTER_COLUMNS = [f.name for f in fields(ReporterRow)]
# attrgetter, not dataclasses.astuple: astuple deep-copies every field.
report_tuple = attrgetter(*REPORT_COLUMNS)
reporter_tuple = attrgetter(*REPORTER_COLUMNS)
CELL = "kind, region, city, day, status"


async def load(conn: asyncpg.Connection, p: str, events: list[object], clock: datetime | None) -> Fold:
    """Everything the fold will read, in a handful of queries: rows by id, then by pseudonym."""
    report_ids, reporter_ids, pseudonyms = set(), set(), set()
    for e in events:
        if isinstance(e, Report.Submitted):
            if e.reporter:
                reporter_ids.add(reporter_id(e.reporter))
        elif isinstance(e, Report.Event):
            report_ids.add(e.originator_id)
        elif isinstance(e, Reporter.Event) and not isinstance(e, Reporter.Registered):
            reporter_ids.add(e.originator_id)
    reports = await _reports(conn, f"SELECT * FROM {p}reports WHERE id = ANY($1::uuid[])", list(report_ids))
    rows = await conn.fetch(f"SELECT * FROM {p}reporters WHERE id = ANY($1::uuid[])", list(reporter_ids))
    reporters = {r["id"]: ReporterRow(*r.values()) for r in rows}
    for e in events:
        if isinstance(e, Reporter.Registered):
            reporters.setdefault(e.originator_id, ReporterRow(e.originator_id, e.pseudonym, False, False))
        if isinstance(e, (Reporter.Blocked, Reporter.Unblocked)):
            pseudonyms.add(reporters[e.originator_id].pseudonym)
    if pseudonyms:
        # A block moves every report its pseudonym ever sent.
        more = await _reports(conn, f"SELECT * FROM {p}reports WHERE reporter = ANY($1::text[])", list(pseudonyms))
        for rid, row in more.items():
            reports.setdefault(rid, row)
    keys = {(e.reporter, hour_of(e.timestamp)) for e in events if isinstance(e, Report.Submitted) and e.reporter}
    keys.update((r.reporter, hour_of(r.submitted_at)) for r in reports.values() if r.reporter)
    abuse = {}
    if keys:
        who, hours = zip(*keys, strict=True)
        rows = await conn.fetch(
            f"SELECT a.* FROM {p}abuse a JOIN unnest($1::text[], $2::timestamptz[]) k(r, h) "
            "ON a.reporter = k.r AND a.hour = k.h",
            list(who),
            list(hours),
        )
        abuse = {(r["reporter"], r["hour"]): [r["submitted"], r["rejected"]] for r in rows}
    return Fold(reports=reports, reporters=reporters, abuse=abuse, clock=clock)


async def _reports(conn: asyncpg.Connection, query: str, arg: list) -> dict[UUID, ReportRow]:
    if not arg:
        return {}
    return {r["id"]: ReportRow(*r.values()) for r in await conn.fetch(query, arg)}


async def write(conn: asyncpg.Connection, p: str, fold: Fold) -> None:
    """Upsert changed rows through temp tables filled by COPY, the fastest path asyncpg has."""
    if fold.dirty_reports:
        await _merge(conn, f"{p}reports", "id", REPORT_COLUMNS, [report_tuple(fold.reports[i]) for i in fold.dirty_reports])
    if fold.dirty_reporters:
        rows = [reporter_tuple(fold.reporters[i]) for i in fold.dirty_reporters]
        await _merge(conn, f"{p}reporters", "id", REPORTER_COLUMNS, rows)
    if fold.dirty_abuse:
        rows = [(who, hour, *fold.abuse[(who, hour)]) for who, hour in fold.dirty_abuse]
        await _merge(conn, f"{p}abuse", "reporter, hour", ["reporter", "hour", "submitted", "rejected"], rows)
    if fold.ledger:
        await conn.copy_records_to_table(f"{p}ledger", records=fold.ledger)
    if fold.confirmations:
        await conn.copy_records_to_table(f"{p}confirmations", records=fold.confirmations)
    changed = [(*cell, r, d) for cell, (r, d) in fold.counts.items() if r or d]
    if changed:
        await _stage(conn, f"{p}counts", changed)
        await conn.execute(
            f"INSERT INTO {p}counts AS c SELECT * FROM {p}counts_in ON CONFLICT ({CELL}) "
            "DO UPDATE SET reports = c.reports + EXCLUDED.reports, detained = c.detained + EXCLUDED.detained; "
            # An empty cell is deleted, so the table depends only on the events, not on batch sizes.
            f"DELETE FROM {p}counts c USING {p}counts_in i WHERE (c.kind, c.region, c.city, c.day, c.status)"
            " = (i.kind, i.region, i.city, i.day, i.status) AND c.reports = 0 AND c.detained = 0"
        )


async def _merge(conn: asyncpg.Connection, table: str, key: str, columns: list[str], rows: list[tuple]) -> None:
    await _stage(conn, table, rows)
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in columns if c not in key)
    await conn.execute(f"INSERT INTO {table} SELECT * FROM {table}_in ON CONFLICT ({key}) DO UPDATE SET {updates}")


async def _stage(conn: asyncpg.Connection, table: str, rows: list[tuple]) -> None:
    """COPY rows into a session temp table shaped like `table`, emptied at commit."""
    await conn.execute(f"CREATE TEMP TABLE IF NOT EXISTS {table}_in (LIKE {table}) ON COMMIT DELETE ROWS")
    await conn.copy_records_to_table(f"{table}_in", records=rows)
