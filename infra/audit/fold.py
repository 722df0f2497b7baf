"""The auditor's own fold of exported facts into public counts, independent of the projector.

Counting rules (brief, "Domain rules"): a report counts while it is unreviewed (as unverified)
or verified, and its reporter is not blocked. Rejected, duplicate and retracted reports never
count; a reopened one is unreviewed again, and a corrected one counts under its new facts. A flood is held back: a report that is more than
the FLOOD_LIMIT-th from its pseudonym in one clock hour (UTC, by recorded time) counts only once
verified, so one pseudonym cannot move the public figures by sheer volume. Detentions count people detained; checkpoints
count reports. Every change is kept as a delta stamped with its position and recorded time,
so figures "as known at T" can be summed for any T. Recorded times are not strictly ordered by
position (concurrent writers), so "known at T" means: after the last event whose running-maximum
recorded time is at most T (docs/AUDIT.md), the state a reader at T could have seen.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import datetime
from typing import Any

FLOOD_LIMIT = 10  # reports per pseudonym per clock hour that count before review (docs/AUDIT.md)
COUNTING = {"unreviewed": "unverified", "verified": "verified"}
STATUS_BY_EVENT = {
    "Report.Verified": "verified",
    "Report.Rejected": "rejected",
    "Report.MarkedDuplicate": "duplicate",
    "Report.Repointed": "duplicate",  # a duplicate linked elsewhere still never counts
    "Report.Retracted": "retracted",
    "Report.Reopened": "unreviewed",  # back to the queue: it counts as unverified again
}

Key = tuple  # (day, region, city); () is the total
Counts = tuple[int, int, int]  # verified, unverified, reports


@dataclass
class Tracked:
    kind: str
    reporter: str | None
    day: str
    region: str
    city: str | None
    detained: int | None
    status: str = "unreviewed"
    held: bool = False  # beyond the flood limit: counts only once verified


@dataclass(frozen=True, slots=True)
class Delta:
    position: int
    kind: str
    key: Key
    counts: Counts

    @property
    def what(self) -> tuple:
        return self.kind, self.key, self.counts


class Fold:
    def __init__(self) -> None:
        self.reports: dict[str, Tracked] = {}
        self.counted: dict[str, Delta] = {}  # what each report adds to the figures right now
        self.pseudonyms: dict[str, str] = {}  # reporter aggregate id -> audit pseudonym
        self.blocked: set[str] = set()
        self.hourly: dict[tuple[str, datetime], int] = {}  # (pseudonym, hour) -> reports submitted
        self.by_reporter: dict[str, set[str]] = {}
        self.ledger: list[Delta] = []
        self.positions: list[int] = []
        self.clock: list[datetime] = []  # running maximum of recorded times, one per event

    def position_at(self, at: datetime) -> int:
        """The last position known at instant `at` (0 before the first event)."""
        index = bisect_right(self.clock, at)
        return self.positions[index - 1] if index else 0

    def apply(self, position: int, originator_id: str, facts: dict[str, Any]) -> None:
        name = facts["type"]
        recorded_at = datetime.fromisoformat(facts["recorded_at"])
        self.positions.append(position)
        self.clock.append(max(recorded_at, self.clock[-1]) if self.clock else recorded_at)
        touched = [originator_id]
        if name == "Report.Submitted":
            self.reports[originator_id] = Tracked(
                facts["kind"], facts["reporter"], facts["local_day"], facts["region"], facts["city"], facts["detained"]
            )
            if facts["reporter"] is not None:
                self.by_reporter.setdefault(facts["reporter"], set()).add(originator_id)
                hour = (facts["reporter"], recorded_at.replace(minute=0, second=0, microsecond=0))
                self.hourly[hour] = self.hourly.get(hour, 0) + 1
                self.reports[originator_id].held = self.hourly[hour] > FLOOD_LIMIT
        elif name == "Report.Corrected" and originator_id in self.reports:
            report = self.reports[originator_id]
            report.day, report.region, report.city = facts["local_day"], facts["region"], facts["city"]
            report.detained = facts["detained"]
        elif name in STATUS_BY_EVENT and originator_id in self.reports:
            self.reports[originator_id].status = STATUS_BY_EVENT[name]
        elif name == "Reporter.Registered":
            self.pseudonyms[originator_id] = facts["reporter"]
            touched = []
        elif name in ("Reporter.Blocked", "Reporter.Unblocked"):
            pseudonym = self.pseudonyms.get(originator_id)
            (self.blocked.add if name == "Reporter.Blocked" else self.blocked.discard)(pseudonym)
            touched = sorted(self.by_reporter.get(pseudonym, ()))
        for report_id in touched:
            self._recount(position, report_id)

    def _recount(self, position: int, report_id: str) -> None:
        report = self.reports.get(report_id)
        if report is None:
            return
        before = self.counted.pop(report_id, None)
        after = self._contribution(position, report)
        if before is not None and after is not None and before.what == after.what:
            self.counted[report_id] = before  # nothing public moved (e.g. a corrected occurred_at)
            return
        if before is not None:
            self.ledger.append(Delta(position, before.kind, before.key, tuple(-c for c in before.counts)))
        if after is not None:
            self.ledger.append(after)
            self.counted[report_id] = after

    def _contribution(self, position: int, report: Tracked) -> Delta | None:
        column = COUNTING.get(report.status)
        if column is None or report.reporter in self.blocked:
            return None
        if report.held and column != "verified":
            return None
        weight = report.detained if report.kind == "detention" else 1
        counts = (weight, 0, 1) if column == "verified" else (0, weight, 1)
        return Delta(position, report.kind, (report.day, report.region, report.city), counts)

    def figures(self, kind: str, *, upto: int, at: datetime | None = None) -> dict[Key, Counts]:
        """Totals and groups by (day, region, city) up to a position, as known at an instant."""
        if at is not None:
            upto = min(upto, self.position_at(at))
        sums: dict[Key, list[int]] = {(): [0, 0, 0]}
        for delta in self.ledger:
            if delta.kind != kind or delta.position > upto:
                continue
            for key in ((), delta.key):
                row = sums.setdefault(key, [0, 0, 0])
                for i, value in enumerate(delta.counts):
                    row[i] += value
        return {key: tuple(row) for key, row in sums.items() if key == () or any(row)}
