"""The map: each region shaded by its detentions in the period, linked to that region's figures."""

from __future__ import annotations

from dataclasses import dataclass

from api.dashboard import i18n
from api.dashboard.chart import nice_ceiling
from api.dashboard.geometry import geometry
from api.dashboard.i18n import WORDS
from api.dashboard.view import View
from api.places import region_names
from domain.places import Gazetteer
from projections.queries import Stats, Totals

# ColorBrewer's "Blues", light to dark: ordered by lightness, readable in greyscale, and the darkest
# classes, where the figures are, reach 3:1 against white.
SHADES = ("#deebf7", "#9ecae1", "#6baed6", "#3182bd", "#08519c")
NO_REPORTS = "#eeeeee"


@dataclass(frozen=True, slots=True)
class Area:
    code: str
    path: str
    fill: str
    href: str
    title: str
    disputed: bool
    selected: bool
    marker: tuple[int, int] | None  # a circle where the outline alone would be too small to see


@dataclass(frozen=True, slots=True)
class Shade:
    fill: str
    label: str


@dataclass(frozen=True, slots=True)
class Choropleth:
    width: int
    height: int
    areas: tuple[Area, ...]
    legend: tuple[Shade, ...]


def breaks(largest: int) -> list[int]:
    """Upper bounds of up to five classes, each about twice the last: a few big cities dwarf the rest,
    so even steps would paint every other region the same pale shade."""
    bounds: list[int] = []
    for k in range(len(SHADES) - 1, -1, -1):
        bound = nice_ceiling(-(-largest // 2**k))
        if not bounds or bound > bounds[-1]:
            bounds.append(bound)
    return bounds


def choropleth(view: View, stats: Stats, gazetteer: Gazetteer, base: str) -> Choropleth:
    words, lang = WORDS[view.lang], view.lang
    totals = {g.key["region"]: g.totals for g in stats.groups}
    bounds = breaks(max((t.verified + t.unverified for t in totals.values()), default=0))
    shades = SHADES[len(SHADES) - len(bounds):]  # few classes take the darker end, so figures stand out
    shape = geometry()
    areas = []
    for outline in shape.outlines:
        t = totals.get(outline.code, Totals())
        value = t.verified + t.unverified
        fill = NO_REPORTS if value == 0 else shades[next(i for i, b in enumerate(bounds) if value <= b)]
        name = region_names(gazetteer, outline.code)[0 if lang == "ru" else 1]
        title = words["map_region_title"].format(
            name=name, verified=i18n.number(t.verified, lang), unverified=i18n.number(t.unverified, lang))
        href = base + "/" + view.query(region=outline.code, city=None)
        areas.append(Area(outline.code, outline.path, fill, href, title, outline.disputed,
                          outline.code == view.region, outline.marker))
    legend = [Shade(NO_REPORTS, words["map_none"])]
    low = 1
    for fill, bound in zip(shades, bounds):
        label = i18n.number(bound, lang) if bound == low else f"{i18n.number(low, lang)}–{i18n.number(bound, lang)}"
        legend.append(Shade(fill, label))
        low = bound + 1
    return Choropleth(shape.width, shape.height, tuple(areas), tuple(legend))
