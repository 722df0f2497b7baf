"""One export row per local day, region and city, with every place named in Russian and English.

The CSV, the spreadsheet and the HXL row share these columns, so the formats cannot drift apart.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timezone
from typing import NamedTuple

from api.figures import MEANING, Filter
from api.places import city_names, region_names
from domain.places import Gazetteer
from projections.queries import AsOf, Stats


# HXL 1.1 hashtags (hxlstandard.org/standard/1-1final/dictionary): the places and the date are core
# hashtags and attributes; what was counted uses core hashtags with attributes of our own, which
# HXL allows ("+detained" as HXL's examples write "+killed"). tests/api/test_exports.py checks them.
HXL_PLACES = ("#date", "#event+type", "#meta+unit", "#adm1+code", "#adm1+name+i_ru", "#adm1+name+i_en",
              "#adm2+name+i_ru", "#adm2+name+i_en")
HXL_FIGURES = {
    "detention": ("#affected+detained+verified", "#affected+detained+unverified", "#meta+reports+num"),
    "checkpoint": ("#event+checkpoint+verified+num", "#event+checkpoint+unverified+num", "#meta+reports+num"),
}
HXL_AS_OF = ("#meta+as_of+position", "#date+reported")


def hxl_row(kind: str) -> tuple[str, ...]:
    return (*HXL_PLACES, *HXL_FIGURES[kind], *HXL_AS_OF)


class Row(NamedTuple):
    """Its fields are the columns, in order: a writer takes it as it is (a year of every city is ~70,000 rows)."""

    day: date
    kind: str
    unit: str
    region_code: str
    region_name_ru: str
    region_name_en: str
    city_name_ru: str  # "" when the report gave only the region
    city_name_en: str
    verified: int
    unverified: int
    reports: int
    as_of_position: int
    as_of_time_utc: str


COLUMNS: tuple[str, ...] = Row._fields


def as_of_time(as_of: AsOf) -> str:
    """ISO 8601 in UTC to the second: spreadsheets parse it, which they do not with microseconds."""
    if as_of.recorded_at is None:
        return ""
    return as_of.recorded_at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def rows(stats: Stats, kind: str, gazetteer: Gazetteer) -> Iterator[Row]:
    """Rows from figures grouped by day, region and city, in the read model's order."""
    unit = MEANING[kind][0]
    when = as_of_time(stats.as_of)
    for g in stats.groups:
        region, city = g.key["region"], g.key.get("city") or ""
        region_ru, region_en = region_names(gazetteer, region)
        city_ru, city_en = city_names(gazetteer, city)
        t = g.totals
        yield Row(date.fromisoformat(g.key["day"]), kind, unit, region, region_ru, region_en, city_ru, city_en,
                  t.verified, t.unverified, t.reports, stats.as_of.position, when)


def filename(figures: Filter, as_of: AsOf, extension: str) -> str:
    """What the file holds, e.g. svodka-detention-RU-MOW-2022-09-21-asof-1234.csv (ASCII only)."""
    parts = ["svodka", figures.kind]
    if figures.city:
        parts.append(_slug(figures.city))
    elif figures.region:
        parts.append(figures.region)
    start, end = figures.date_from, figures.date_to
    if start and end and start == end:
        parts.append(start.isoformat())
    elif start or end:
        parts.append(f"{start.isoformat() if start else 'start'}--{end.isoformat() if end else 'latest'}")
    else:
        parts.append("all-days")
    parts.append(f"asof-{as_of.position}")
    return "-".join(parts) + "." + extension


def disposition(name: str) -> str:
    return f'attachment; filename="{name}"'


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-") or "city"
