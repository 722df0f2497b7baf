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
about 40 bytes per report in arrays (no object per report) and a little per pseudonym, never a
history per event. Figures
at an earlier position or instant are kept only where asked for before the events are folded
(`keep`, `keep_known_at`, `keep_day`): the verifier reads what to compare before it folds.
"""

from __future__ import annotations

from array import array
from heapq import heappop, heappush
from datetime import datetime
from typing import Any
from uuid import UUID

from infra.audit.reports import ReportIds

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
STATUS_BITS, HELD = 0b111, 0b1000  # a report's flags: its status, its flood hold, and (<< 4) its column
BIG = 2**16 - 1  # a weight this large or negative is kept aside
ODD = 2**31  # an hour that is not a whole number of hours since the epoch is kept aside

Key = tuple  # (day, region, city); () is the total
Counts = tuple[int, int, int]  # verified, unverified, reports
Figures = dict[Key, Counts]


class NotKept(LookupError):
    """Figures at a position or instant the fold was not asked to keep before it folded."""


class Fold:
    def __init__(self) -> None:
        self.position = 0  # the last event folded
        self.clock: datetime | None = None  # running maximum of recorded times
        self.kinds: list[str] = []
        self.places: list[Key] = []  # (day, region, city) by index
        self._place_index: dict[Key, int] = {}
        self._places_of_day: dict[str, list[int]] = {}
        self._rows: dict[tuple[int, int], list[int]] = {}  # (kind, place) -> verified, unverified, reports
        self._row_keys: list[tuple[int, int]] = []  # the (kind, place) of each row, by row number
        self._row_index: dict[tuple[int, int], int] = {}
        # Per report, by its number (infra/audit/reports.py): about 40 bytes in all, no object per report.
        self._ids = ReportIds()
        self._flags = bytearray()  # status | held << 3 | column << 4: what it adds to the figures now
        self._row = array("I")  # its (kind, place) row
        self._reporter_of = array("I")  # its pseudonym's index; 0: none
        self._weight = array("H")  # people detained (1 for a checkpoint); BIG: in _big_weights
        self._big_weights: dict[int, int] = {}
        self._hour = array("i")  # clock hour of its submission, as epoch seconds / 3600; ODD: in _odd_hours
        self._odd_hours: dict[int, int] = {}
        self._earlier = array("i")  # the report its pseudonym submitted before it (-1: none): a list per pseudonym
        # Per pseudonym, by index.
        self._reporters: dict[str | None, int] = {None: 0}  # audit pseudonym -> index; 0: no reporter
        self._pseudonyms: dict[bytes, int] = {}  # reporter aggregate id -> pseudonym index
        self._latest = array("i", [-1])  # its latest report, the head of its list
        self._top_hour = array("q", [0])  # the latest clock hour it submitted in (epoch seconds)
        self._top_count = bytearray(1)  # its submissions in that hour, up to FLOOD_LIMIT + 1
        self._blocked: set[int] = set()
        # Rare: reports submitted again (the same id), kept exactly but outside the arrays.
        self._moved: dict[int, list[int]] = {}  # pseudonym -> reports submitted again under it from another
        self._replaced: dict[tuple[int, int], int] = {}  # (pseudonym, hour) -> submissions since resubmitted
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

    def expect_reports(self, count: int) -> None:
        """Make room for `count` reports at once, before folding (more still fit). Arrays grown
        an append at a time left their freed copies behind in the process: at 1M events, peak
        RSS grew about 58 bytes a report for the 44 the fold holds."""
        if len(self._ids):
            raise RuntimeError("room for reports is made before the first one")
        self._ids = ReportIds(count)
        self._flags = bytearray(count)  # UNREVIEWED, not held, not counted
        self._row, self._reporter_of = array("I", bytes(4 * count)), array("I", bytes(4 * count))
        self._weight, self._hour = array("H", bytes(2 * count)), array("i", bytes(4 * count))
        self._earlier = array("i", [-1]) * count

    # --- folding -------------------------------------------------------------------------------

    def apply(self, position: int, originator_id: str, facts: dict[str, Any], *, key: bytes | None = None) -> None:
        """`key`: the originator id as 16 bytes, if the caller parsed it already."""
        name = facts["type"]
        recorded_at = datetime.fromisoformat(facts["recorded_at"])
        clock = recorded_at if self.clock is None else max(recorded_at, self.clock)
        self._pass(position, clock)
        self.clock, self.position = clock, position
        key = key or UUID(originator_id).bytes
        n = self._ids.find(key)
        if name == "Report.Submitted":
            self._recount(self._submitted(key, n, facts, recorded_at))
        elif name == "Report.Corrected" and n >= 0:
            kind = self._row_keys[self._row[n]][0]
            place = self._place((facts["local_day"], facts["region"], facts["city"]))
            weight = self._weight_of(self.kinds[kind], facts["detained"])
            self._uncount(n)  # what it added under its old place and weight goes first
            self._row[n] = self._row_number(kind, place)
            self._set_weight(n, weight)
            self._recount(n)
        elif name in STATUS_BY_EVENT and n >= 0:
            self._flags[n] = (self._flags[n] & ~STATUS_BITS) | STATUS_BY_EVENT[name]
            self._recount(n)
        elif name == "Reporter.Registered":
            self._pseudonyms[key] = self._reporter(facts["reporter"])
        elif name in ("Reporter.Blocked", "Reporter.Unblocked"):
            reporter = self._pseudonyms.get(key, 0)
            (self._blocked.add if name == "Reporter.Blocked" else self._blocked.discard)(reporter)
            for report in self._reports_of(reporter):
                self._recount(report)

    def end(self) -> None:
        """No more events: whatever was asked for and not yet passed is the final state."""
        self._pass(None, None)

    def _submitted(self, key: bytes, n: int, facts: dict[str, Any], recorded_at: datetime) -> int:
        kind = self._kind(facts["kind"])
        reporter = self._reporter(facts["reporter"])
        row = self._row_number(kind, self._place((facts["local_day"], facts["region"], facts["city"])))
        weight = self._weight_of(facts["kind"], facts["detained"])
        if n < 0:
            n = self._ids.add(key)
            if n == len(self._flags):  # beyond the room made by `expect_reports`
                self._flags.append(UNREVIEWED)
                for column in (self._row, self._reporter_of, self._weight, self._hour):
                    column.append(0)
                self._earlier.append(-1)
            if reporter:
                self._earlier[n], self._latest[reporter] = self._latest[reporter], n
        else:  # submitted twice: the first one's contribution goes (as a replace would)
            self._uncount(n)
            before = self._reporter_of[n]
            if before:  # that submission still counts towards its hour's flood
                replaced = (before, self._hour_of(n))
                self._replaced[replaced] = self._replaced.get(replaced, 0) + 1
            if reporter and reporter != before:
                self._moved.setdefault(reporter, []).append(n)
            self._flags[n] = UNREVIEWED
        self._row[n], self._reporter_of[n] = row, reporter
        self._set_weight(n, weight)
        if facts["reporter"] is not None:
            hour = int(recorded_at.replace(minute=0, second=0, microsecond=0).timestamp())
            self._set_hour(n, hour)
            if self._submissions(reporter, hour, n) > FLOOD_LIMIT:
                self._flags[n] |= HELD
        return n

    def _submissions(self, reporter: int, hour: int, n: int) -> int:
        """The pseudonym's submissions in this clock hour, the one of report `n` included (counted
        up to FLOOD_LIMIT + 1). Its latest hour is counted as it goes; an earlier hour (recorded
        times out of order) is counted again from its reports."""
        top, count = self._top_hour[reporter], self._top_count[reporter]
        if count == 0 or hour > top:
            self._top_hour[reporter], self._top_count[reporter] = hour, 1
            return 1
        if hour == top:
            self._top_count[reporter] = min(count + 1, FLOOD_LIMIT + 1)
            return self._top_count[reporter]
        reports = self._reports_of(reporter, current=True)
        earlier = sum(1 for report in reports if report != n and self._hour_of(report) == hour)
        return earlier + self._replaced.get((reporter, hour), 0) + 1

    def _reports_of(self, reporter: int, *, current: bool = False) -> list[int]:
        """Every report ever submitted under this pseudonym (0: none, never listed), each once;
        `current`: only those whose latest submission names it."""
        reports = []
        report = self._latest[reporter] if reporter else -1
        while report >= 0:
            reports.append(report)
            report = self._earlier[report]
        moved = self._moved.get(reporter)
        if moved:  # submitted again under it: some may be in its list already
            reports = list(dict.fromkeys(reports + moved))
        return [r for r in reports if self._reporter_of[r] == reporter] if current else reports

    def _recount(self, n: int) -> None:
        """Move the report's contribution from what it added before to what it adds now."""
        flags = self._flags[n]
        before, now = flags >> 4, self._column(n, flags)
        if now != before:
            if before:
                self._add(n, before, -1)
            if now:
                self._add(n, now, 1)
            self._flags[n] = (flags & 0x0F) | now << 4

    def _uncount(self, n: int) -> None:
        flags = self._flags[n]
        if flags >> 4:
            self._add(n, flags >> 4, -1)
            self._flags[n] = flags & 0x0F

    def _add(self, n: int, column: int, sign: int) -> None:
        row = self._rows[self._row_keys[self._row[n]]]
        row[0 if column == COUNTED_VERIFIED else 1] += sign * self._weight_at(n)
        row[2] += sign

    def _column(self, n: int, flags: int) -> int:
        status = flags & STATUS_BITS
        if status not in (UNREVIEWED, VERIFIED) or self._reporter_of[n] in self._blocked:
            return NOT_COUNTED
        if flags & HELD and status != VERIFIED:
            return NOT_COUNTED
        return COUNTED_VERIFIED if status == VERIFIED else COUNTED_UNVERIFIED

    def _row_number(self, kind: int, place: int) -> int:
        index = self._row_index.get((kind, place))
        if index is None:
            index = self._row_index[(kind, place)] = len(self._row_keys)
            self._row_keys.append((kind, place))
            self._rows.setdefault((kind, place), [0, 0, 0])
        return index

    def _set_weight(self, n: int, weight: int) -> None:
        if 0 <= weight < BIG:
            self._weight[n] = weight
            self._big_weights.pop(n, None)
        elif -(2**63) <= weight < 2**63:  # what the packed record held before (a malformed line beyond)
            self._weight[n] = BIG
            self._big_weights[n] = weight
        else:
            raise ValueError(f"detained {weight} is beyond 64 bits")

    def _weight_at(self, n: int) -> int:
        weight = self._weight[n]
        return self._big_weights[n] if weight == BIG else weight

    def _set_hour(self, n: int, hour: int) -> None:
        if hour % 3600 == 0 and -ODD < hour // 3600 < 2**31:
            self._hour[n] = hour // 3600
            self._odd_hours.pop(n, None)
        else:  # a recorded time whose offset is not whole hours
            self._hour[n] = -ODD
            self._odd_hours[n] = hour

    def _hour_of(self, n: int) -> int:
        hour = self._hour[n]
        return self._odd_hours[n] if hour == -ODD else hour * 3600

    @staticmethod
    def _weight_of(kind: str, detained: Any) -> int:
        weight = detained if kind == "detention" else 1
        if not isinstance(weight, int):
            raise TypeError(f"detained is {detained!r}, not a number")
        return weight

    def _kind(self, kind: str) -> int:
        if kind not in self.kinds:
            self.kinds.append(kind)
        return self.kinds.index(kind)

    def _reporter(self, pseudonym: str | None) -> int:
        index = self._reporters.setdefault(pseudonym, len(self._reporters))
        if index == len(self._latest):
            self._latest.append(-1)
            self._top_hour.append(0)
            self._top_count.append(0)
        return index

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
