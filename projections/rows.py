"""The read model's rows as the projector holds them in memory, and a batch's writes."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta, timezone
from operator import attrgetter
from uuid import UUID

OPEN = ("unreviewed", "verified")

Cell = tuple[str, str, str, date, str]  # kind, region, city ('' if none), day, verified|unverified


@dataclass(slots=True)
class ReportRow:
    """One row of `rm_reports`; field order is the table's column order."""

    id: UUID
    version: int
    kind: str
    channel: str
    reporter: str | None
    region: str
    city: str | None
    day: date
    occurred_at: datetime
    detained: int | None
    lat: float | None
    lon: float | None
    status: str
    submitted_at: datetime
    held: bool
    reporter_blocked: bool
    confirmations: int
    last_seen_at: datetime
    ended_at: datetime | None
    cleared_at: datetime | None

    def checkpoint_version(self, position: int) -> tuple:
        """What `/v1/checkpoints` needs of the row as it stands after event `position`."""
        counts = self.counted() is not None
        return (self.id, position, self.region, self.city, self.lat, self.lon, self.occurred_at, counts,
                self.status == "verified")  # fmt: skip

    def counted(self) -> tuple[Cell, int] | None:
        """The cell this report adds to, and its detentions; None when it does not count."""
        if self.status not in OPEN or self.reporter_blocked:
            return None
        if self.held and self.status != "verified":
            return None
        bucket = "verified" if self.status == "verified" else "unverified"
        cell = (self.kind, self.region, self.city or "", self.day, bucket)
        return cell, self.detained or 0


@dataclass(slots=True)
class ReporterRow:
    id: UUID
    pseudonym: str
    blocked: bool
    forgotten: bool


def hour_of(at: datetime) -> datetime:
    """The clock hour `at` falls in. Events come in time order, so the last hour is remembered:
    `replace` costs a microsecond, the comparison a tenth of that (UTC only, where an hour
    is always the next sixty minutes)."""
    start, end = _last_hour
    if at.tzinfo is timezone.utc and start <= at < end:
        return start
    start = at.replace(minute=0, second=0, microsecond=0)
    if at.tzinfo is timezone.utc:
        _last_hour[:] = (start, start + HOUR)
    return start


HOUR = timedelta(hours=1)
_last_hour = [datetime.max.replace(tzinfo=timezone.utc)] * 2  # [start, end) of the last UTC hour


REPORT_COLUMNS = [f.name for f in fields(ReportRow)]
REPORTER_COLUMNS = [f.name for f in fields(ReporterRow)]
# attrgetter, not dataclasses.astuple: astuple deep-copies every field.
report_tuple = attrgetter(*REPORT_COLUMNS)
reporter_tuple = attrgetter(*REPORTER_COLUMNS)


@dataclass(frozen=True)
class Changes:
    """One batch's writes as plain tuples, taken when its fold ends: the next batch folds on
    into the same rows while these are still being written."""

    position: int
    recorded_at: datetime | None
    clock: datetime | None
    fresh: list[tuple]  # reports submitted in the batch: inserted
    reports: list[tuple]  # reports changed: merged
    reporters: list[tuple]
    abuse: list[tuple]
    ledger: list[tuple]
    clock_rows: list[tuple]
    sightings: list[tuple]
    versions: list[tuple]
    counts: list[tuple]
    touched: set[UUID]  # rows memory must keep until this commits
    touched_abuse: set[tuple[str, datetime]]
