"""The baseline: the eventsourcing library's own ProjectionRunner with a PostgresTrackingRecorder
view, one transaction per event (the library's model of a view). Its work per event is of the
same kind as the projector's (a report row, one or two count cells, the tracking row) but
lighter: no ledger, no abuse tallies, no flood or block rules, so the ratio flatters it."""

from __future__ import annotations

import time
from typing import Any

from eventsourcing.application import Application
from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.persistence import Tracking
from eventsourcing.postgres import PostgresTrackingRecorder
from eventsourcing.projection import Projection, ProjectionRunner
from psycopg.sql import SQL, Identifier

from domain.report import Report

TABLES = """
CREATE TABLE IF NOT EXISTS {schema}.base_reports (id uuid PRIMARY KEY, kind text, region text, city text,
    day text, detained int, status text);
CREATE TABLE IF NOT EXISTS {schema}.base_counts (kind text, region text, city text, day text, status text,
    reports bigint, detained bigint, PRIMARY KEY (kind, region, city, day, status))
"""
MOVE = """
INSERT INTO {schema}.base_counts AS c
SELECT kind, region, coalesce(city, ''), day, %(status)s, %(sign)s, %(sign)s * coalesce(detained, 0)
FROM {schema}.base_reports WHERE id = %(id)s
ON CONFLICT (kind, region, city, day, status)
DO UPDATE SET reports = c.reports + EXCLUDED.reports, detained = c.detained + EXCLUDED.detained
"""


class Reader(Application):
    name = "svodka"  # reads svodka_events


class CountsView(PostgresTrackingRecorder):
    def __init__(self, datastore: Any, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        schema = Identifier(self.datastore.schema)
        for statement in TABLES.split(";"):
            self.sql_create_statements.append(SQL(statement).format(schema=schema))
        self.move = SQL(MOVE).format(schema=schema)
        self.insert = SQL(
            "INSERT INTO {schema}.base_reports VALUES (%(id)s, %(kind)s, %(region)s, %(city)s, %(day)s, "
            "%(detained)s, 'unverified')"
        ).format(schema=schema)
        self.status = SQL("UPDATE {schema}.base_reports SET status = %(status)s WHERE id = %(id)s").format(schema=schema)

    def apply(self, steps: list[tuple[str, dict]], tracking: Tracking) -> None:
        with self.datastore.transaction(commit=True) as curs:
            for name, params in steps:
                curs.execute(getattr(self, name), params, prepare=True)
            self._insert_tracking(curs, tracking)


class CountsProjection(Projection[CountsView]):
    name = "bench_base"

    @singledispatchmethod
    def process_event(self, event: Any, tracking: Tracking) -> None:
        self.view.apply([], tracking)

    @process_event.register
    def _(self, event: Report.Submitted, tracking: Tracking) -> None:
        facts = dict(id=event.originator_id, kind=event.kind, region=event.region, city=event.city,
                     day=event.local_day, detained=event.detained)  # fmt: skip
        self.view.apply([("insert", facts), ("move", dict(id=event.originator_id, status="unverified", sign=1))], tracking)

    @process_event.register
    def _(self, event: Report.Verified, tracking: Tracking) -> None:
        rid = event.originator_id
        steps = [("move", dict(id=rid, status="unverified", sign=-1)), ("move", dict(id=rid, status="verified", sign=1))]
        self.view.apply([*steps, ("status", dict(id=rid, status="verified"))], tracking)

    @process_event.register
    def _(self, event: Report.Rejected, tracking: Tracking) -> None:
        rid = event.originator_id
        self.view.apply([("move", dict(id=rid, status="unverified", sign=-1)), ("status", dict(id=rid, status="rejected"))], tracking)


def run_baseline(env: dict[str, str], events: int, timeout: float = 900.0) -> float:
    """Events per second of the library's runner over the first `events` of the log."""
    started = time.perf_counter()
    with ProjectionRunner(
        application_class=Reader, projection_class=CountsProjection, view_class=CountsView, env=env
    ) as runner:
        runner.wait(events, timeout=timeout)
        elapsed = time.perf_counter() - started
        done = runner.view.max_tracking_id(Reader.name) or 0
    return min(done, events) / elapsed
