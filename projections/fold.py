"""The fold: how each event changes the read model, in plain Python, with no database.

A batch of decoded events is folded against the rows it touches (loaded beforehand by
`projections.store`); the result is the changed rows plus the net change to every count cell.

What counts: a report whose status is unreviewed or verified, whose reporter is not blocked,
and that is not held. Reopening returns a report to unreviewed, so it counts again; a duplicate
never counts, whatever its group's root does. A report is *held* when its pseudonym had already sent FLOOD_LIMIT
reports in the same clock hour; a held report counts only once a moderator verifies it, so a
flood from one pseudonym cannot move the public figures however fast it arrives.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING
from uuid import UUID

from domain.report import Report
from domain.reporter import Reporter
from projections.rows import Cell, Changes, ReporterRow, ReportRow, hour_of, report_tuple, reporter_tuple

if TYPE_CHECKING:
    from projections.memory import State

FLOOD_LIMIT = 10  # reports per pseudonym per clock hour that count before review
ENDING = {
    Report.Rejected: "rejected",
    Report.MarkedDuplicate: "duplicate",
    Report.Retracted: "retracted",
}

@dataclass
class Fold:
    """Folds one batch of events, in log order, into the state; collects what to write."""

    state: State
    # For each pseudonym blocked or unblocked in this batch: every report it ever sent.
    block_targets: dict[str, set[UUID]] = field(default_factory=dict)
    counts: dict[Cell, list[int]] = field(default_factory=dict)  # net [reports, detained]
    ledger: list[tuple] = field(default_factory=list)
    clock_rows: list[tuple[int, datetime, datetime]] = field(default_factory=list)
    sightings: list[tuple] = field(default_factory=list)  # (report, position, seen_at, gone, ends)
    versions: list[tuple] = field(default_factory=list)  # checkpoint rows as of each event changing them
    fresh: set[UUID] = field(default_factory=set)  # submitted in this batch: inserted, not merged
    dirty_reports: set[UUID] = field(default_factory=set)
    dirty_reporters: set[str] = field(default_factory=set)
    dirty_abuse: set[tuple[str, datetime]] = field(default_factory=set)
    position: int = 0
    recorded_at: datetime | None = None

    def changes(self) -> Changes:
        state = self.state
        reports = state.reports
        return Changes(
            position=self.position,
            recorded_at=self.recorded_at,
            clock=state.clock,
            fresh=[report_tuple(reports[i]) for i in self.fresh],
            reports=[report_tuple(reports[i]) for i in self.dirty_reports - self.fresh],
            reporters=[reporter_tuple(state.reporters[n]) for n in self.dirty_reporters],
            abuse=[(*key, *state.abuse[key]) for key in self.dirty_abuse],
            ledger=self.ledger,
            clock_rows=self.clock_rows,
            sightings=self.sightings,
            versions=self.versions,
            counts=[(*cell, r, d) for cell, (r, d) in self.counts.items() if r or d],
            touched=self.dirty_reports,
            touched_abuse=self.dirty_abuse,
        )

    def apply(self, position: int, event: object) -> None:
        at: datetime = event.timestamp  # type: ignore[attr-defined]
        self.position, self.recorded_at = position, at
        if self.state.clock is None or at > self.state.clock:
            self.state.clock = at
        self.clock_rows.append((position, self.state.clock, at))
        handler = HANDLERS.get(type(event))
        if handler is None:
            return  # an event the read model does not use (e.g. a future kind) still advances
        before: dict[UUID, tuple[Cell, int] | None] = {}
        touched = handler(self, event, at, before)
        self._record_change(position, touched, before)
        if handler not in (Fold.confirmed, Fold.cleared):
            # Votes never change where a checkpoint is or whether it counts: no version for them.
            self.versions.extend(row.checkpoint_version(position) for row in touched if row.kind == "checkpoint")

    def _record_change(self, position: int, touched: list[ReportRow], before: dict) -> None:
        change: dict[Cell, list[int]] = {}
        for row in touched:
            self.dirty_reports.add(row.id)
            old, new = before.get(row.id), row.counted()
            if old == new:
                continue
            if old is not None:
                entry = change.setdefault(old[0], [0, 0])
                entry[0] -= 1
                entry[1] -= old[1]
            if new is not None:
                entry = change.setdefault(new[0], [0, 0])
                entry[0] += 1
                entry[1] += new[1]
        if not change:
            return
        counts, ledger = self.counts, self.ledger
        for cell, (reports, detained) in change.items():
            if reports or detained:
                total = counts.get(cell)
                if total is None:
                    counts[cell] = [reports, detained]
                else:
                    total[0] += reports
                    total[1] += detained
                ledger.append((position, *cell, reports, detained))

    # -- reports ---------------------------------------------------------------------

    def _row(self, event: object, before: dict) -> ReportRow:
        reports = self.state.reports
        row = reports[event.originator_id] = reports.pop(event.originator_id)  # type: ignore[attr-defined]
        before[row.id] = row.counted()
        row.version = event.originator_version  # type: ignore[attr-defined]
        return row

    def submitted(self, e: Report.Submitted, at: datetime, before: dict) -> list[ReportRow]:
        held, blocked = False, False
        if e.reporter:
            key = (e.reporter, hour_of(at))
            tally = self.state.abuse.setdefault(key, [0, 0])
            tally[0] += 1
            self.dirty_abuse.add(key)
            held = tally[0] > FLOOD_LIMIT
            reporter = self.state.reporters.get(e.reporter)
            blocked = reporter is not None and reporter.blocked
            if e.reporter in self.block_targets:
                self.block_targets[e.reporter].add(e.originator_id)
        row = ReportRow(
            e.originator_id, e.originator_version, e.kind, e.channel, e.reporter, e.region,
            e.city, date.fromisoformat(e.local_day), e.occurred_at, e.detained, e.coarse_lat,
            e.coarse_lon, "unreviewed", at, held, blocked, 0, e.occurred_at, None, None,
        )  # fmt: skip
        self.state.reports[row.id] = row
        self.fresh.add(row.id)
        before[row.id] = None
        return [row]

    def corrected(self, e: Report.Corrected, at: datetime, before: dict) -> list[ReportRow]:
        row = self._row(e, before)
        row.detained, row.region, row.city = e.detained, e.region, e.city
        row.occurred_at, row.day = e.occurred_at, date.fromisoformat(e.local_day)
        row.lat, row.lon = e.coarse_lat, e.coarse_lon
        row.last_seen_at = max(row.last_seen_at, e.occurred_at)  # an upper bound for every as_of
        return [row]

    def verified(self, e: Report.Verified, at: datetime, before: dict) -> list[ReportRow]:
        row = self._row(e, before)
        row.status = "verified"
        return [row]

    def ended(self, e: object, at: datetime, before: dict) -> list[ReportRow]:
        row = self._row(e, before)
        row.status = ENDING[type(e)]
        row.ended_at = row.ended_at or at
        if row.status == "rejected" and row.reporter:
            key = (row.reporter, hour_of(row.submitted_at))
            self.state.abuse.setdefault(key, [0, 0])[1] += 1
            self.dirty_abuse.add(key)
        return [row]

    def reopened(self, e: Report.Reopened, at: datetime, before: dict) -> list[ReportRow]:
        row = self._row(e, before)
        if row.status == "rejected" and row.reporter:
            key = (row.reporter, hour_of(row.submitted_at))
            self.state.abuse.setdefault(key, [0, 0])[1] -= 1
            self.dirty_abuse.add(key)
        row.status, row.ended_at = "unreviewed", None
        return [row]

    def touched(self, e: object, at: datetime, before: dict) -> list[ReportRow]:
        """An event that moves no figure (a re-pointed link, a group's membership): the row's
        version still follows, since moderators send it back as If-Match."""
        return [self._row(e, before)]

    def confirmed(self, e: Report.Confirmed, at: datetime, before: dict) -> list[ReportRow]:
        row = self._row(e, before)
        seen = e.seen_at or at  # v1 events: seen when recorded
        row.confirmations += 1
        row.last_seen_at = max(row.last_seen_at, seen)
        self.sightings.append((row.id, self.position, seen, False, False))
        return [row]

    def cleared(self, e: Report.Cleared, at: datetime, before: dict) -> list[ReportRow]:
        row = self._row(e, before)
        seen = e.seen_at or at
        if e.ends:
            row.cleared_at = row.cleared_at or seen
        self.sightings.append((row.id, self.position, seen, True, e.ends))
        return [row]

    # -- reporters ---------------------------------------------------------------------

    def registered(self, e: Reporter.Registered, at: datetime, before: dict) -> list[ReportRow]:
        self.state.reporters[e.pseudonym] = ReporterRow(e.originator_id, e.pseudonym, False, False)
        self.state.names[e.originator_id] = e.pseudonym
        self.dirty_reporters.add(e.pseudonym)
        return []

    def blocked(self, e: object, at: datetime, before: dict) -> list[ReportRow]:
        """Block and unblock move every report of the pseudonym, from this event on."""
        reporter = self._reporter(e)
        reporter.blocked = isinstance(e, Reporter.Blocked)
        touched = [self.state.reports[i] for i in self.block_targets[reporter.pseudonym]]
        for row in touched:
            before[row.id] = row.counted()
            row.reporter_blocked = reporter.blocked
        return touched

    def forgotten(self, e: Reporter.Forgotten, at: datetime, before: dict) -> list[ReportRow]:
        self._reporter(e).forgotten = True
        return []

    def _reporter(self, e: object) -> ReporterRow:
        pseudonym = self.state.names[e.originator_id]  # type: ignore[attr-defined]
        reporter = self.state.reporters[pseudonym]
        assert reporter is not None, "a reporter event before the reporter was registered"
        self.dirty_reporters.add(pseudonym)
        return reporter


HANDLERS = {
    Report.Submitted: Fold.submitted,
    Report.Corrected: Fold.corrected,
    Report.Verified: Fold.verified,
    Report.Rejected: Fold.ended,
    Report.MarkedDuplicate: Fold.ended,
    Report.Retracted: Fold.ended,
    Report.Reopened: Fold.reopened,
    Report.Repointed: Fold.touched,
    Report.DuplicateAttached: Fold.touched,
    Report.DuplicateDetached: Fold.touched,
    Report.Confirmed: Fold.confirmed,
    Report.Cleared: Fold.cleared,
    Reporter.Registered: Fold.registered,
    Reporter.Blocked: Fold.blocked,
    Reporter.Unblocked: Fold.blocked,
    Reporter.Forgotten: Fold.forgotten,
}
