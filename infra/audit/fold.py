"""The auditor's own fold of exported facts into public counts, independent of the projector.

Counting rules (brief, "Domain rules"): a report counts while it is unreviewed (as unverified)
or verified, and its reporter is not blocked. Rejected, duplicate and retracted reports never
count; a reopened one is unreviewed again, and a corrected one counts under its new facts. A flood is held back: a report that is more than
the FLOOD_LIMIT-th from its pseudonym in one clock hour (UTC, by recorded time) counts only once
verified, so one pseudonym cannot move the public figures by sheer volume. Detentions count people detained; checkpoints
count reports. Recorded times are not strictly ordered by position (concurrent writers), so
"known at T" means: after the last event whose running-maximum recorded time is at most T
(docs/AUDIT.md), the state a reader at T could have seen.

The fold streams: it keeps the running figures (bounded by kinds, days, regions and cities),
one fixed-size record per report and an index per pseudonym, never a history per event. Figures
at an earlier position or instant are kept only where asked for before the events are folded
(`keep`, `keep_known_at`, `keep_day`): the verifier reads what to compare before it folds.
"""

from __future__ import annotations

import struct
from heapq import heappop, heappush
from datetime import datetime
from typing import Any
from uuid import UUID

FLOOD_LIMIT = 10  # reports per pseudonym per clock hour that count before review (docs/AUDIT.md)
STATUSES = ("unreviewed", "verified", "rejected", "duplicate", "retracted")
UNREVIEWED, VERIFIED = 0, 1
STATUS_BY_EVENT = {
    "Report.Verified": VERIFIED,
    "Report.Rejected": STATUSES.index("rejected"),
    "Report.MarkedDuplicate": STATUSES.index("duplicate"),
    "Report.Repointed": STATUSES.index("duplicate"),  # a duplicate linked elsewhere still never counts
    "Report.Retracted": STATUSES.index("retracted"),
    "Report.Reopened": UNREVIEWED,  # back to the queue: it counts as unverified again
}
NOT_COUNTED, COUNTED_VERIFIED, COUNTED_UNVERIFIED = 0, 1, 2
HOUR_SPAN = 2**40  # (pseudonym, hour) packed in one int: hours as epoch seconds stay far below this

Key = tuple  # (day, region, city); () is the total
Counts = tuple[int, int, int]  # verified, unverified, reports
Figures = dict[Key, Counts]


class NotKept(LookupError):
    """Figures at a position or instant the fold was not asked to keep before it folded."""


class Record:
    """One report, packed in 32 bytes: its kind, status, flood hold, pseudonym, place and weight,
    and what it adds to the figures right now (place, column, weight)."""

    LAYOUT = struct.Struct("<BB?IIqBIq")
    __slots__ = ("kind", "status", "held", "reporter", "place", "weight", "column", "counted_place", "counted_weight")

    def __init__(self, kind: int, reporter: int, place: int, weight: int) -> None:
        self.kind, self.reporter, self.place, self.weight = kind, reporter, place, weight
        self.status, self.held = UNREVIEWED, False
        self.column, self.counted_place, self.counted_weight = NOT_COUNTED, 0, 0

    @classmethod
    def unpack(cls, packed: bytes) -> Record:
        record = cls.__new__(cls)
        (record.kind, record.status, record.held, record.reporter, record.place, record.weight,
         record.column, record.counted_place, record.counted_weight) = cls.LAYOUT.unpack(packed)  # fmt: skip
        return record

    def pack(self) -> bytes:
        try:
            return self.LAYOUT.pack(self.kind, self.status, self.held, self.reporter, self.place, self.weight,
                                    self.column, self.counted_place, self.counted_weight)  # fmt: skip
        except struct.error as error:  # e.g. a detained count beyond 64 bits: a malformed line
            raise ValueError(str(error)) from None


class Fold:
    def __init__(self) -> None:
        self.position = 0  # the last event folded
        self.clock: datetime | None = None  # running maximum of recorded times
        self.kinds: list[str] = []
        self.places: list[Key] = []  # (day, region, city) by index
        self._place_index: dict[Key, int] = {}
        self._places_of_day: dict[str, list[int]] = {}
        self._rows: dict[tuple[int, int], list[int]] = {}  # (kind, place) -> verified, unverified, reports
        self.reports: dict[bytes, bytes] = {}  # 16-byte report id -> packed Record
        self._reporters: dict[str | None, int] = {None: 0}  # audit pseudonym -> index; 0: no reporter
        self._pseudonyms: dict[bytes, int] = {}  # reporter aggregate id -> pseudonym index
        self._by_reporter: dict[int, bytearray] = {}  # pseudonym index -> its reports' ids, 16 bytes each
        self._blocked: set[int] = set()
        self._hourly: dict[int, int] = {}  # pseudonym index * HOUR_SPAN + hour -> reports submitted
        # What to keep for later comparison, asked for before folding; heaps, in the order the fold passes it.
        self._keep_positions: list[int] = []
        self._keep_instants: list[datetime] = []
        self._keep_days: list[tuple[int, str]] = []  # (as-of position, day), one per bulletin: a few bytes each
        self._day_names: dict[str, str] = {}  # one string per day, shared by its bulletins
        self._kept: dict[int, dict[str, Figures]] = {}  # position -> figures of every kind
        self._known_at: dict[datetime, int] = {}
        self._days_kept: dict[tuple[int, str], tuple[Figures, int]] = {}  # -> figures, bulletins still to check

    # --- what to keep --------------------------------------------------------------------------

    def keep(self, position: int) -> None:
        """Keep the figures as they stand after the last event at or before `position`."""
        if position not in self._kept and position not in self._keep_positions:
            heappush(self._keep_positions, position)

    def keep_known_at(self, at: datetime) -> None:
        """Keep the position known at instant `at`, and the figures there."""
        if at not in self._known_at and at not in self._keep_instants:
            heappush(self._keep_instants, at)

    def keep_day(self, position: int, day: str) -> None:
        """Keep one day's detention figures at `position`, for one bulletin (`day_figures` takes them)."""
        heappush(self._keep_days, (position, self._day_names.setdefault(day, day)))

    # --- folding -------------------------------------------------------------------------------

    def apply(self, position: int, originator_id: str, facts: dict[str, Any]) -> None:
        name = facts["type"]
        recorded_at = datetime.fromisoformat(facts["recorded_at"])
        clock = recorded_at if self.clock is None else max(recorded_at, self.clock)
        self._pass(position, clock)
        self.clock, self.position = clock, position
        key = UUID(originator_id).bytes
        touched = [key]
        if name == "Report.Submitted":
            self._submitted(key, facts, recorded_at)
        elif name == "Report.Corrected" and key in self.reports:
            record = Record.unpack(self.reports[key])
            record.place = self._place((facts["local_day"], facts["region"], facts["city"]))
            record.weight = self._weight(self.kinds[record.kind], facts["detained"])
            self._recount(key, record)
            touched = []
        elif name in STATUS_BY_EVENT and key in self.reports:
            record = Record.unpack(self.reports[key])
            record.status = STATUS_BY_EVENT[name]
            self._recount(key, record)
            touched = []
        elif name == "Reporter.Registered":
            self._pseudonyms[key] = self._reporter(facts["reporter"])
            touched = []
        elif name in ("Reporter.Blocked", "Reporter.Unblocked"):
            reporter = self._pseudonyms.get(key, 0)
            (self._blocked.add if name == "Reporter.Blocked" else self._blocked.discard)(reporter)
            ids = self._by_reporter.get(reporter, b"")
            touched = sorted({bytes(ids[i : i + 16]) for i in range(0, len(ids), 16)})
        for report_id in touched:
            if report_id in self.reports:
                self._recount(report_id, Record.unpack(self.reports[report_id]))

    def end(self) -> None:
        """No more events: whatever was asked for and not yet passed is the final state."""
        self._pass(None, None)

    def _submitted(self, key: bytes, facts: dict[str, Any], recorded_at: datetime) -> None:
        kind = self._kind(facts["kind"])
        reporter = self._reporter(facts["reporter"])
        record = Record(kind, reporter, self._place((facts["local_day"], facts["region"], facts["city"])),
                        self._weight(facts["kind"], facts["detained"]))  # fmt: skip
        if key in self.reports:  # submitted twice: the first one's contribution goes (as a replace would)
            self._uncount(Record.unpack(self.reports[key]))
        if facts["reporter"] is not None:
            self._by_reporter.setdefault(reporter, bytearray()).extend(key)
            hour = reporter * HOUR_SPAN + int(recorded_at.replace(minute=0, second=0, microsecond=0).timestamp())
            self._hourly[hour] = self._hourly.get(hour, 0) + 1
            record.held = self._hourly[hour] > FLOOD_LIMIT
        self.reports[key] = record.pack()

    def _recount(self, key: bytes, record: Record) -> None:
        """Move the report's contribution from what it added before to what it adds now."""
        column = self._column(record)
        after = (column, record.place, record.weight) if column else (NOT_COUNTED, 0, 0)
        if (record.column, record.counted_place, record.counted_weight) != after:
            self._uncount(record)
            record.column, record.counted_place, record.counted_weight = after
            if column:
                self._add(record, 1)
        self.reports[key] = record.pack()

    def _uncount(self, record: Record) -> None:
        if record.column:
            self._add(record, -1)

    def _add(self, record: Record, sign: int) -> None:
        row = self._rows.setdefault((record.kind, record.counted_place), [0, 0, 0])
        row[0 if record.column == COUNTED_VERIFIED else 1] += sign * record.counted_weight
        row[2] += sign

    def _column(self, record: Record) -> int:
        if record.status not in (UNREVIEWED, VERIFIED) or record.reporter in self._blocked:
            return NOT_COUNTED
        if record.held and record.status != VERIFIED:
            return NOT_COUNTED
        return COUNTED_VERIFIED if record.status == VERIFIED else COUNTED_UNVERIFIED

    @staticmethod
    def _weight(kind: str, detained: Any) -> int:
        weight = detained if kind == "detention" else 1
        if not isinstance(weight, int):
            raise TypeError(f"detained is {detained!r}, not a number")
        return weight

    def _kind(self, kind: str) -> int:
        if kind not in self.kinds:
            self.kinds.append(kind)
        return self.kinds.index(kind)

    def _reporter(self, pseudonym: str | None) -> int:
        return self._reporters.setdefault(pseudonym, len(self._reporters))

    def _place(self, key: Key) -> int:
        index = self._place_index.get(key)
        if index is None:
            index = self._place_index[key] = len(self.places)
            self.places.append(key)
            self._places_of_day.setdefault(key[0], []).append(index)
        return index

    # --- keeping figures as the fold passes ----------------------------------------------------

    def _pass(self, position: int | None, clock: datetime | None) -> None:
        """Before folding the event at `position` (None: the end), keep what is asked for up to here."""
        while self._keep_positions and (position is None or self._keep_positions[0] < position):
            self._snapshot(heappop(self._keep_positions))
        while self._keep_instants and (clock is None or self._keep_instants[0] < clock):
            self._known_at[heappop(self._keep_instants)] = self.position
            self._snapshot(self.position)
        while self._keep_days and (position is None or self._keep_days[0][0] < position):
            kept = heappop(self._keep_days)
            figures, bulletins = self._days_kept.get(kept) or (self._day(kept[1]), 0)
            self._days_kept[kept] = figures, bulletins + 1

    def _snapshot(self, position: int) -> None:
        if position not in self._kept:
            self._kept[position] = {kind: self._figures(kind) for kind in self.kinds}

    def _figures(self, kind: str) -> Figures:
        if kind not in self.kinds:
            return {(): (0, 0, 0)}
        k = self.kinds.index(kind)
        total = [0, 0, 0]
        groups: Figures = {}
        for (row_kind, place), row in self._rows.items():
            if row_kind == k and any(row):
                groups[self.places[place]] = tuple(row)
                total = [a + b for a, b in zip(total, row, strict=True)]
        return {(): tuple(total), **groups}

    def _day(self, day: str) -> Figures:
        if "detention" not in self.kinds:
            return {}
        k = self.kinds.index("detention")
        rows = ((place, self._rows.get((k, place))) for place in self._places_of_day.get(day, ()))
        return {self.places[place]: tuple(row) for place, row in rows if row and any(row)}

    # --- reading -------------------------------------------------------------------------------

    def position_at(self, at: datetime) -> int:
        """The last position known at instant `at` (0 before the first event); after `end`."""
        if at in self._known_at:
            return self._known_at[at]
        if self.clock is None:
            return 0
        if at >= self.clock:
            return self.position
        raise NotKept(f"the position known at {at.isoformat()} was not kept")

    def figures(self, kind: str, *, upto: int | None = None, at: datetime | None = None) -> Figures:
        """Totals and groups by (day, region, city) up to a position, as known at an instant (if kept)."""
        if at is not None:
            known = self.position_at(at)
            upto = known if upto is None else min(upto, known)
        if upto is None or upto >= self.position:
            return self._figures(kind)
        if upto not in self._kept:
            raise NotKept(f"the figures at position {upto} were not kept")
        return self._kept[upto].get(kind, {(): (0, 0, 0)})

    def day_figures(self, position: int, day: str) -> Figures:
        """The detention groups of `day` at `position`, kept for one bulletin; each call takes one."""
        if (position, day) not in self._days_kept:
            raise NotKept(f"the figures of {day} at position {position} were not kept")
        figures, bulletins = self._days_kept.pop((position, day))
        if bulletins > 1:
            self._days_kept[(position, day)] = figures, bulletins - 1
        return figures
