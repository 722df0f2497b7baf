"""The rows of the page's lists of figures: the timeline, the region and city tables, the checkpoints."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from markupsafe import Markup

from api.dashboard import i18n
from api.dashboard.chart import Bar, timeline_svg
from api.dashboard.i18n import WORDS
from api.dashboard.view import TEXT_KEYS, View
from api.places import city_names, region_names
from domain.places import Gazetteer
from projections.queries import ActiveCheckpoint, Stats, Totals


@dataclass(frozen=True, slots=True)
class RegionRow:
    code: str
    name: str
    href: str  # this region's figures on the page
    totals: Totals


@dataclass(frozen=True, slots=True)
class CityRow:
    code: str  # the region's
    city: str  # the English name, as the read model keys it; "" for region-level reports
    name: str
    region_name: str
    href: str
    totals: Totals


@dataclass(frozen=True, slots=True)
class SortHead:
    key: str
    label: str
    href: str
    order: str  # the order the link asks for
    natural: str  # the order a first click asks for
    aria: str  # aria-sort, or "" where the table is not sorted by this column


@dataclass(frozen=True, slots=True)
class CheckpointItem:
    id: UUID
    place: str
    lat: float | None  # None: reported with a region only
    lon: float | None
    confirmed: datetime
    confirmed_text: str
    expires: datetime
    expires_text: str
    confirmations: int
    status: str
    status_text: str


def timeline(view: View, stats: Stats) -> tuple[Markup, list[tuple[date, str, Totals]]]:
    """The chart, and the same figures as table rows: every day of the period, a quiet one as zero."""
    words, lang = WORDS[view.lang], view.lang
    by_day = {date.fromisoformat(g.key["day"]): g.totals for g in stats.groups if "day" in g.key}
    bars, rows = [], []
    for d in view.days:
        t = by_day.get(d, Totals())
        label = i18n.day(d, lang)
        title = (f'{label}: {words["verified"]} {i18n.number(t.verified, lang)}, '
                 f'{words["unverified"]} {i18n.number(t.unverified, lang)}')
        bars.append(Bar(d, t.verified, t.unverified, label, title))
        rows.append((d, label, t))
    chart = timeline_svg(bars, title=words["timeline"], desc=words["timeline_desc"],
                         number=lambda n: i18n.number(n, lang))
    return chart, rows


def region_rows(view: View, stats: Stats, gazetteer: Gazetteer, base: str) -> list[RegionRow]:
    rows = [
        RegionRow(code, _name(region_names(gazetteer, code), view.lang), base + "/" + view.query(region=code, city=None),
                  g.totals)
        for g in stats.groups
        for code in (g.key["region"],)
    ]
    rows.sort(key=_sort_key(view.sort, {"region": "name"}, lambda r: r.code), reverse=view.order == "desc")
    return rows


def city_rows(view: View, stats: Stats, gazetteer: Gazetteer, base: str) -> list[CityRow]:
    words = WORDS[view.lang]
    rows = []
    for g in stats.groups:
        code, city = g.key["region"], g.key.get("city") or ""
        name = _name(city_names(gazetteer, city), view.lang) if city else words["no_city"]
        href = base + "/" + view.query(region=None, city=city) if city else ""
        rows.append(CityRow(code, city, name, _name(region_names(gazetteer, code), view.lang), href, g.totals))
    names = {"city": "name", "region": "region_name"}
    rows.sort(key=_sort_key(view.city_sort, names, lambda r: (r.code, r.city)), reverse=view.city_order == "desc")
    return rows


def heads(view: View, base: str, keys: tuple[str, ...], *, cities: bool) -> list[SortHead]:
    """Headings whose links sort the table: on the server without JavaScript, in place with it."""
    words = WORDS[view.lang]
    sort, order = (view.city_sort, view.city_order) if cities else (view.sort, view.order)
    out = []
    for key in keys:
        natural = "asc" if key in TEXT_KEYS else "desc"
        active = sort == key
        asks = ("asc" if order == "desc" else "desc") if active else natural
        params = {"csort": key, "corder": asks} if cities else {"sort": key, "order": asks}
        aria = ("ascending" if order == "asc" else "descending") if active else ""
        label = words.get("th_" + key, words[key])
        out.append(SortHead(key, label, base + "/" + view.query(**params), asks, natural, aria))
    return out


def checkpoints(view: View, items: list[ActiveCheckpoint], gazetteer: Gazetteer) -> list[CheckpointItem]:
    words, lang = WORDS[view.lang], view.lang
    out = []
    for cp in sorted(items, key=lambda c: c.last_confirmed_at, reverse=True):
        zone = gazetteer.region(cp.region).tz() if gazetteer.has_region(cp.region) else i18n.MOSCOW
        place = _name(region_names(gazetteer, cp.region), lang)
        if cp.city:
            place = f"{_name(city_names(gazetteer, cp.city), lang)}, {place}"
        status = "verified" if cp.status == "verified" else "unverified"
        out.append(CheckpointItem(
            cp.id, place, cp.lat, cp.lon, cp.last_confirmed_at, _local_time(cp.last_confirmed_at, zone, lang),
            cp.expires_at, _local_time(cp.expires_at, zone, lang), cp.confirmations, status, words["status_" + status],
        ))
    return out


def _name(names: tuple[str, str], lang: str) -> str:
    return names[0] if lang == "ru" else names[1]


def _local_time(instant: datetime, zone, lang: str) -> str:
    # A checkpoint lives for hours: the day and the local clock say enough, the year does not.
    return f"{i18n.moment(instant, lang, zone, year=False)} ({i18n.utc_offset(instant, zone)})"


def _sort_key(sort: str, names: dict[str, str], tie):
    """`names`: which attribute holds the text a text column sorts by."""
    if sort in names:
        return lambda row: (getattr(row, names[sort]).casefold(), tie(row))
    # Ties fall back to the place's code, so the order is the same on every load.
    return lambda row: (getattr(row.totals, sort), tie(row))
