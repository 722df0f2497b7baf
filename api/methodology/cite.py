"""A ready citation for a figure: what it counts, for which days and place, and the as-of it rests on."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from api.figures import Filter
from domain.errors import UnknownPlace
from domain.places import Gazetteer
from projections.queries import AsOf

# One clock for a country-wide bulletin, as on the dashboard; the zone is named in the string.
MOSCOW = ZoneInfo("Europe/Moscow")
WHAT = {"detention": "detentions", "checkpoint": "checkpoint reports"}


def cite(figures: Filter, as_of: AsOf, gazetteer: Gazetteer) -> str:
    """E.g. "svodka, detentions 21 Sep 2022, as of position 1234 (2022-09-21 23:00 MSK)"."""
    what = WHAT[figures.kind]
    place = _place(figures, gazetteer)
    if place:
        what += f" in {place}"
    if as_of.recorded_at is None:
        known = f"as of position {as_of.position} (no events yet)"
    else:
        moscow = as_of.recorded_at.astimezone(MOSCOW).strftime("%Y-%m-%d %H:%M")
        known = f"as of position {as_of.position} ({moscow} MSK)"
    return f"svodka, {what} {period(figures.date_from, figures.date_to)}, {known}"


def period(start: date | None, end: date | None) -> str:
    if start and end:
        if start == end:
            return _day(start)
        if (start.year, start.month) == (end.year, end.month):
            return f"{start.day}–{_day(end)}"
        if start.year == end.year:
            return f"{start.day} {_MONTHS[start.month - 1]} – {_day(end)}"
        return f"{_day(start)} – {_day(end)}"
    if start:
        return f"from {_day(start)}"
    if end:
        return f"up to {_day(end)}"
    return "all days"


def _day(d: date) -> str:
    # Month names from a fixed table, not strftime's %b, which follows the process locale.
    return f"{d.day} {_MONTHS[d.month - 1]} {d.year}"


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _place(figures: Filter, gazetteer: Gazetteer) -> str:
    if figures.city:
        return figures.city
    if figures.region:
        try:
            return gazetteer.region(figures.region).name_en
        except UnknownPlace:
            return figures.region
    return ""
