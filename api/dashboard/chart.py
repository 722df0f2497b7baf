"""The timeline as inline SVG, drawn on the server so it shows with JavaScript off and loads nothing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from markupsafe import Markup

from api.dashboard.templating import TEMPLATES

# Colours are fill attributes, not CSS, so the chart keeps them if the stylesheet fails to load.
# Both reach at least 3:1 against white, the contrast WCAG asks of graphics; text stays dark.
VERIFIED_FILL = "#1f4e8c"
UNVERIFIED_FILL = "#c05a12"
AXIS = "#595959"

PLOT_HEIGHT = 200
LEFT, TOP, BOTTOM = 48, 10, 28
FONT = 13
LABEL_ROOM = 48  # viewBox units one date label needs so that neighbours never overlap


@dataclass(frozen=True, slots=True)
class Bar:
    day: date
    verified: int
    unverified: int
    label: str  # the day as the page's language writes it
    title: str  # the bar's figures in words, for tooltips and screen readers


@dataclass(frozen=True, slots=True)
class Gridline:
    y: float
    label: str
    stroke: float


@dataclass(frozen=True, slots=True)
class PlacedBar:
    day: date
    title: str
    x: float
    width: int
    verified_height: float
    unverified_height: float
    label: str  # "" where the label would crowd its neighbour's


def nice_ceiling(value: int) -> int:
    """A round axis maximum (1, 2, 3, 4, 5, 6 or 8 × 10^n) at or above the tallest bar, so the
    tallest bar always fills at least half of the height."""
    if value <= 0:
        return 1
    scale = 1
    while True:
        for step in (1, 2, 3, 4, 5, 6, 8):
            if step * scale >= value:
                return step * scale
        scale *= 10


def timeline_svg(bars: list[Bar], *, title: str, desc: str, number: Callable[[int], str]) -> Markup:
    # A week stays narrow enough (~430 units) that its labels are still ~10 px on a 360 px phone;
    # longer periods spread to ~800 units, and a year's bars still fit on a wide screen.
    step = max(12, min(54, 800 // max(len(bars), 1)))
    width = LEFT + step * len(bars) + 8
    top = nice_ceiling(max((b.verified + b.unverified for b in bars), default=0))
    scale = PLOT_HEIGHT / top
    base = TOP + PLOT_HEIGHT
    # A middle gridline only where it falls on a whole number (not at 2.5 of 5).
    gridlines = [
        Gridline(base - PLOT_HEIGHT * fraction, number(int(top * fraction)), 1 if fraction == 0 else 0.4)
        for fraction in ((0, 0.5, 1) if top % 2 == 0 else (0, 1))
    ]
    every = -(-LABEL_ROOM // step)  # ceiling division
    w = max(step - step // 4, 8)
    placed = [
        PlacedBar(bar.day, bar.title, LEFT + step * i + (step - w) / 2, w, bar.verified * scale,
                  bar.unverified * scale, bar.label if i % every == 0 else "")
        for i, bar in enumerate(bars)
    ]
    return Markup(TEMPLATES.get_template("chart.svg").render(
        width=width, height=TOP + PLOT_HEIGHT + BOTTOM, title=title, desc=desc, gridlines=gridlines, bars=placed,
        base=base, left=LEFT, font=FONT, axis=AXIS, verified_fill=VERIFIED_FILL, unverified_fill=UNVERIFIED_FILL,
        # Wider than a 1280 px screen: scroll it sideways rather than shrink its labels to nothing.
        wide=width > 1200,
    ))
