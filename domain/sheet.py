"""A hotline's spreadsheet of phoned-in reports, read row by row into what would be stored.

Pure: bytes in, rows out, nothing stored. Every row is checked by the same rules as a report
sent to the API (`Svodka.understand`); what is wrong is said per row and per column, never
raised, so a dry run can show a whole file's mistakes at once.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from domain.application import Facts, NewReport, Svodka
from domain.errors import DomainError
from domain.places import Place, is_cyrillic, normalise

MAX_ROWS = 20_000  # a night's calls for the busiest hotline, with room to spare
MAX_CITY = 100  # as the API's `city` field

# Header names as hotlines write them, in the normalised form of `_header`; the first row names
# the columns. "date" and "time" may be two columns, or "time" one holding both.
HEADERS = {
    "city": ("city", "town", "place", "город", "населенный пункт", "нас пункт", "место"),
    "region": ("region", "регион", "субъект", "область"),
    "kind": ("kind", "type", "тип", "вид", "что"),
    "count": ("count", "detained", "number", "people", "задержано", "задержанных", "количество", "число",
              "кол во", "человек"),
    "time": ("time", "local time", "datetime", "date time", "when", "occurred at", "время", "местное время",
             "дата и время", "когда"),
    "date": ("date", "day", "дата", "день"),
    "description": ("description", "details", "comment", "notes", "note", "описание", "подробности",
                    "комментарий", "примечание"),
}  # fmt: skip
_FIELD_OF = {name: column for column, names in HEADERS.items() for name in names}
KINDS = {
    "detention": ("detention", "detentions", "detained", "arrest", "задержание", "задержания", "задержан",
                  "задержаны", "задержано"),
    "checkpoint": ("checkpoint", "cordon", "блокпост", "пост", "кордон", "проверка", "оцепление"),
}  # fmt: skip
_KIND_OF = {name: kind for kind, names in KINDS.items() for name in names}
# What the domain's errors call a field, as the sheet's columns are named.
_COLUMN_OF_FIELD = {"occurred_at": "time", "detained": "count", "location": "city"}

_DATE = r"(?:(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})|(?P<d2>\d{1,2})\.(?P<m2>\d{1,2})\.(?P<y2>\d{4}|\d{2}))"
_TIME = r"(?P<H>\d{1,2})[:.](?P<M>\d{2})(?::(?P<S>\d{2}(?:\.\d+)?))?"
_OFFSET = r"(?P<off>Z|[+-]\d{2}:?\d{2})?"
_STAMP = re.compile(rf"^{_DATE}(?:\s*[T ,]\s*){_TIME}\s*{_OFFSET}$", re.IGNORECASE)
_DATE_ONLY = re.compile(rf"^{_DATE}$")
_TIME_ONLY = re.compile(rf"^{_TIME}\s*{_OFFSET}$", re.IGNORECASE)
_SPACES = re.compile(r"[\s\u00a0\u202f\u2009]+")
TIME_EXAMPLE = "2026-11-21 19:30 or 21.11.2026 19:30"


@dataclass(frozen=True, slots=True)
class Problem:
    column: str | None  # city, region, kind, count, time, description; None: the row as a whole
    message: str  # in English, as the API says it
    code: str | None = None  # for a page to say it in its own language, with `parts` filled in
    parts: dict[str, str] = field(default_factory=dict, compare=False)
    error: DomainError | None = field(default=None, compare=False)  # the domain's refusal, when it was one


@dataclass(frozen=True, slots=True)
class SheetRow:
    number: int  # as a spreadsheet numbers it: the header is row 1
    cells: dict[str, str]  # the row's cells by column, as typed
    report: NewReport | None = None  # what would be stored; None when something is wrong
    facts: Facts | None = None  # what svodka understood: place, local time, local day
    problems: tuple[Problem, ...] = ()


@dataclass(frozen=True, slots=True)
class Sheet:
    rows: tuple[SheetRow, ...] = ()
    problem: str | None = None  # the file as a whole cannot be read; then there are no rows
    notes: tuple[str, ...] = ()  # things read differently than one might expect (unread columns ...)
    delimiter: str = ","
    columns: dict[str, str] = field(default_factory=dict)  # column -> the header as written

    @property
    def valid(self) -> list[SheetRow]:
        return [row for row in self.rows if row.report is not None]

    @property
    def wrong(self) -> list[SheetRow]:
        return [row for row in self.rows if row.report is None]


def row_reference(content: str, earlier: int) -> str:
    """A row's idempotency key (its report's client_ref): `content_digest` of what it would store
    and how many rows of the same file store the very same report before it (two calls alike are
    two reports). Made from the row, not the file: the file imported again, re-saved with another
    delimiter or without its BOM, or with one row corrected, stores only the rows not stored yet."""
    return f"sheet:{content[:32]}:{earlier}"


def content_digest(kind: str, place: Place, instant: datetime, detained: int | None,
                   description: str | None) -> str:
    """SHA-256 of a row as parsed (kind, resolved place, instant, count, trimmed description), so
    spelling its city, date or kind another way that means the same keeps its key."""
    fields = [kind, place.region, place.city, instant.astimezone(timezone.utc).isoformat(), detained, description]
    return hashlib.sha256(json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode()).hexdigest()


def read_sheet(data: bytes, application: Svodka, *, channel: str, now: datetime | None = None) -> Sheet:
    """Every row of a CSV file (UTF-8, with or without BOM; comma, semicolon or tab), checked."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return Sheet(problem="The file is not UTF-8 text. In the spreadsheet, save it as "
                                     "\"CSV UTF-8\" (Excel) or \"Text CSV\" with the UTF-8 character set.")
    if "\x00" in text:
        return Sheet(problem="The file is not a CSV text file (it holds binary data); "
                                     "save the spreadsheet as CSV.")
    first = next((line for line in io.StringIO(text, newline="") if line.strip()), None)
    if first is None:
        return Sheet(problem="The file is empty.")
    delimiter = _sniff(first)
    records = _records(text, delimiter)
    header: list[str] | Problem = []
    for _, header in records:
        if isinstance(header, Problem) or any(c.strip() for c in header):
            break
    if isinstance(header, Problem):
        return Sheet(problem=f"The first row cannot be read: {header.message}", delimiter=delimiter)
    columns, problem, notes = _columns(header)
    if problem is not None:
        return Sheet(problem=problem, delimiter=delimiter)
    reader = RowReader(application, channel, columns, now)
    rows: list[SheetRow] = []
    for number, cells in records:
        if len(rows) >= MAX_ROWS:
            return Sheet(problem=f"The file has more than {MAX_ROWS:,} rows; split it into smaller files.",
                         delimiter=delimiter)
        if isinstance(cells, Problem):
            rows.append(SheetRow(number, {}, problems=(cells,)))
        elif any(c.strip() for c in cells):
            rows.append(reader.row(number, cells, len(header)))
    if not rows:
        notes.append("The file has a header but no rows.")
    named = {column: header[i].strip() for column, i in columns.items()}
    return Sheet(tuple(rows), None, tuple(notes), delimiter, named)


def _sniff(first_line: str) -> str:
    """The delimiter the header uses most, outside quotes; a comma when none is used."""
    counts = dict.fromkeys(",;\t", 0)
    quoted = False
    for ch in first_line:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    best = max(counts, key=lambda ch: (counts[ch], ch == ","))
    return best if counts[best] else ","


def _records(text: str, delimiter: str) -> Iterator[tuple[int, list[str] | Problem]]:
    """(row number, cells); a record the csv module cannot read is that row's problem."""
    # newline="": a line break inside a quoted cell stays in the cell, as the csv module asks.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    number = 0
    while True:
        number += 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:  # e.g. a cell longer than the csv module's field limit
            yield number, Problem(None, f"This row cannot be read as CSV: {error}.", "unreadable")
            continue
        yield number, cells


def _header(name: str) -> str:
    name = re.sub(r"\(.*?\)|\[.*?\]", " ", name)
    return " ".join(re.sub(r"[^\w]+", " ", normalise(name)).split())


def _columns(header: list[str]) -> tuple[dict[str, int], str | None, list[str]]:
    """Column -> cell index; or what is wrong with the header row."""
    example = ("The first row must name the columns, e.g. city,kind,count,time,description "
               "(or город;вид;задержано;время;описание).")
    columns: dict[str, int] = {}
    notes: list[str] = []
    for i, name in enumerate(header):
        column = _FIELD_OF.get(_header(name))
        if column is None:
            if name.strip():
                notes.append(f"The column {name.strip()!r} is not read.")
            continue
        if column in columns:
            return {}, f"Two columns mean {column}: {header[columns[column]].strip()!r} and {name.strip()!r}.", []
        columns[column] = i
    if not header:
        return {}, "The file is empty.", []
    if "city" not in columns and "region" not in columns:
        return {}, f"No city column. {example}", []
    if "time" not in columns:
        return {}, f"No time column. {example}", []
    if "kind" not in columns:
        notes.append("No kind column: every row is read as a detention.")
    return columns, None, notes


class RowReader:
    """Turns one row (of a sheet, or the console's entry form: a sheet of one row) into a SheetRow;
    caches what many rows share (a city, its suggestions)."""

    def __init__(self, application: Svodka, channel: str, columns: dict[str, int] | None = None,
                 now: datetime | None = None) -> None:
        self.application, self.channel, self.columns = application, channel, columns or {}
        self.now = now or datetime.now(timezone.utc)
        self._places: dict[tuple[str, str], Place | Problem] = {}
        self._earlier: Counter[str] = Counter()  # valid rows read so far, by content_digest

    def row(self, number: int, cells: list[str], width: int) -> SheetRow:
        typed = {column: cells[i].strip() if i < len(cells) else "" for column, i in self.columns.items()}
        extra = None
        if len(cells) > width and any(c.strip() for c in cells[width:]):
            extra = Problem(None, f"This row has {len(cells)} cells and the header {width}: "
                                  "is a comma or semicolon inside a cell not in quotes?", "cells",
                            {"cells": str(len(cells)), "header": str(width)})
        return self.read(number, typed, None, extra)

    def read(self, number: int, typed: dict[str, str], client_ref: str | None,
             extra: Problem | None = None) -> SheetRow:
        """`typed`: cells by column (city, region, kind, count, date, time, description), as typed.
        `client_ref`: the report's idempotency key; None: a sheet's row, keyed by its content."""
        typed = {column: typed.get(column, "").strip() for column in HEADERS if column in typed}
        typed.setdefault("time", "")
        problems: list[Problem] = [extra] if extra else []
        place = self._place(typed.get("region", ""), typed.get("city", ""))
        if isinstance(place, Problem):
            problems.append(place)
        kind = _KIND_OF.get(normalise(typed.get("kind", "")) or "detention")
        if kind is None:
            problems.append(Problem("kind", f"Unknown kind {typed['kind']!r}: write detention or checkpoint "
                                            "(задержание или блокпост).", "kind", {"value": typed["kind"]}))
        count = _count(typed.get("count", ""), kind)
        if isinstance(count, Problem):
            problems.append(count)
        when = _when(typed.get("date", ""), typed["time"])
        if isinstance(when, Problem):
            problems.append(when)
        if problems:
            return SheetRow(number, typed, problems=tuple(problems))
        assert isinstance(place, Place) and isinstance(when, datetime) and not isinstance(count, Problem)
        kind, description, content = kind or "detention", typed.get("description") or None, ""
        try:
            instant = when if when.tzinfo else self.application.gazetteer.localise(when, place.region)
            if client_ref is None:
                content = content_digest(kind, place, instant, count, description)
                client_ref = row_reference(content, self._earlier[content])
            new = NewReport(kind=kind, channel=self.channel, client_ref=client_ref, occurred_at=instant,
                            region=place.region, city=place.city, detained=count, description=description)
            facts = self.application.understand(new, self.now)
        except DomainError as error:
            column = _COLUMN_OF_FIELD.get(error.field or "", error.field)
            return SheetRow(number, typed, problems=(Problem(column, error.message, error=error),))
        if content:
            self._earlier[content] += 1
        return SheetRow(number, typed, new, facts)

    def _place(self, region: str, city: str) -> Place | Problem:
        key = (region, city)
        if key not in self._places:
            self._places[key] = self._resolve(region, city)
        return self._places[key]

    def _resolve(self, region: str, city: str) -> Place | Problem:
        if not region and not city:
            return Problem("city", "No city: say where it happened.", "no_city")
        if len(city) > MAX_CITY:
            return Problem("city", f"The city is longer than {MAX_CITY} characters.", "long_city")
        try:
            return self.application.gazetteer.resolve(region=region or None, city=city or None)
        except DomainError as error:
            if error.field == "city" and self.application.gazetteer.city(city) is None:
                hints = ", ".join(c.name_ru if is_cyrillic(city) else c.name_en
                                  for c in self.application.gazetteer.suggest(city))
                return Problem("city", error.message, "unknown_city" + ("_hint" if hints else ""),
                               {"value": city, "hints": hints})
            return Problem(error.field or "city", error.message, error=error)


def _count(cell: str, kind: str | None) -> int | None | Problem:
    text = _SPACES.sub("", cell)
    if not text:
        return Problem("count", "No count: how many people were detained?", "no_count") if kind == "detention" else None
    if not text.isascii() or not text.isdigit():
        return Problem("count", f"The count {cell!r} is not a whole number.", "count", {"value": cell})
    return int(text) if len(text) <= 9 else Problem("count", f"The count {cell!r} is too large.", "count", {"value": cell})


def _when(date_cell: str, time_cell: str) -> datetime | Problem:
    """A wall-clock time (to be read in the place's zone), or an instant when an offset is given."""
    typed = f"{date_cell} {time_cell}".strip()
    if not time_cell:
        return Problem("time", f"No time: when did it happen? E.g. {TIME_EXAMPLE}.", "no_time")
    if date_cell:
        found = _DATE_ONLY.match(date_cell) and _TIME_ONLY.match(time_cell)
        parts = (_DATE_ONLY.match(date_cell).groupdict() | _TIME_ONLY.match(time_cell).groupdict()  # type: ignore[union-attr]
                 if found else None)
    else:
        stamp = _STAMP.match(time_cell)
        parts = stamp.groupdict() if stamp else None
    if parts is None:
        return Problem("time", f"The time {typed!r} is not understood; write it as {TIME_EXAMPLE}.", "time",
                       {"value": typed})
    year = int(parts["y"] or parts["y2"])
    if year < 100:
        year += 2000
    try:
        local = datetime(year, int(parts["m"] or parts["m2"]), int(parts["d"] or parts["d2"]),
                         int(parts["H"]), int(parts["M"]), int(float(parts["S"] or 0)))
    except (ValueError, OverflowError):
        return Problem("time", f"The time {typed!r} is not a real date and time.", "time", {"value": typed})
    offset = parts["off"]
    if not offset:
        return local
    if offset.upper() == "Z":
        return local.replace(tzinfo=timezone.utc)
    sign = 1 if offset[0] == "+" else -1
    digits = offset[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:])
    if hours > 14 or minutes > 59:
        return Problem("time", f"The UTC offset in {typed!r} is not a real one.", "time", {"value": typed})
    return local.replace(tzinfo=timezone(sign * timedelta(hours=hours, minutes=minutes)))
