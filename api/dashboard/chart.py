"""The timeline as inline SVG, drawn on the server so it shows with JavaScript off and loads nothing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from html import escape

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


def timeline_svg(bars: list[Bar], *, title: str, desc: str, number: Callable[[int], str]) -> str:
    # A week stays narrow enough (~430 units) that its labels are still ~10 px on a 360 px phone;
    # longer periods spread to ~800 units, and a year's bars still fit on a wide screen.
    step = max(12, min(54, 800 // max(len(bars), 1)))
    width = LEFT + step * len(bars) + 8
    height = TOP + PLOT_HEIGHT + BOTTOM
    top = nice_ceiling(max((b.verified + b.unverified for b in bars), default=0))
    scale = PLOT_HEIGHT / top
    base = TOP + PLOT_HEIGHT
    parts = [
        f'<svg class="timeline" width="{width}" height="{height}" viewBox="0 0 {width} {height}"'
        f' role="img" aria-labelledby="tl-title tl-desc"'
        f' xmlns="http://www.w3.org/2000/svg" preserveAspectRatio="xMinYMin meet">',
        f'<title id="tl-title">{escape(title)}</title><desc id="tl-desc">{escape(desc)}</desc>',
    ]
    # A middle gridline only where it falls on a whole number (not at 2.5 of 5).
    for fraction in (0, 0.5, 1) if top % 2 == 0 else (0, 1):
        y = base - PLOT_HEIGHT * fraction
        parts.append(
            f'<line x1="{LEFT}" x2="{width - 4}" y1="{y:.1f}" y2="{y:.1f}" stroke="{AXIS}"'
            f' stroke-width="{1 if fraction == 0 else 0.4}"/>'
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="{FONT}" fill="{AXIS}">'
            f"{escape(number(int(top * fraction)))}</text>"
        )
    every = -(-LABEL_ROOM // step)  # ceiling division
    for i, bar in enumerate(bars):
        w = max(step - step // 4, 8)
        x = LEFT + step * i + (step - w) / 2
        hv, hu = bar.verified * scale, bar.unverified * scale
        parts.append(f'<g class="bar" data-day="{bar.day.isoformat()}"><title>{escape(bar.title)}</title>')
        if hv:
            parts.append(
                f'<rect x="{x:.1f}" y="{base - hv:.1f}" width="{w}" height="{hv:.1f}" fill="{VERIFIED_FILL}"/>'
            )
        if hu:
            parts.append(
                f'<rect x="{x:.1f}" y="{base - hv - hu:.1f}" width="{w}" height="{hu:.1f}" fill="{UNVERIFIED_FILL}"/>'
            )
        parts.append("</g>")
        if i % every == 0:
            parts.append(
                f'<text x="{x + w / 2:.1f}" y="{base + 16}" text-anchor="middle" font-size="{FONT}" fill="{AXIS}">'
                f"{escape(bar.label)}</text>"
            )
    parts.append("</svg>")
    # Wider than a 1280 px screen: scroll it sideways rather than shrink its labels to nothing.
    wide = " wide" if width > 1200 else ""
    return f'<div class="chart{wide}">' + "".join(parts) + "</div>"
