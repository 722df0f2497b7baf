"""The whole page as one HTML string: figures, chart and table are in the markup itself.

Every value that reaches the markup passes through `html.escape` here or in the section builders;
the template only receives finished fragments.
"""

from __future__ import annotations

from functools import cache
from html import escape
from importlib.resources import files
from string import Template

from api.dashboard import sections, tables
from api.dashboard.data import Figures
from api.dashboard.i18n import WORDS
from api.dashboard.view import View


@cache
def _template() -> Template:
    return Template(files("api.dashboard").joinpath("page.html").read_text(encoding="utf-8"))


def render_page(view: View, figures: Figures, *, base: str, assets: dict[str, str]) -> str:
    words = WORDS[view.lang]
    other = "en" if view.lang == "ru" else "ru"
    stats = figures.by_day
    live = view.at is None
    return _template().substitute(
        lang=view.lang,
        title=escape(words["title"]),
        tagline=escape(words["tagline"]),
        nav_label=escape(words["nav_label"]),
        other_lang=other,
        other_lang_name=escape(words["other_lang_name"]),
        other_href=escape(base + "/" + view.query(lang=other)),
        css=escape(assets["dashboard.css"]),
        js=escape(assets["dashboard.js"]),
        stats_url=escape(sections.stats_url(view, base)) if live else "",
        position=str(stats.as_of.position),
        live="1" if live else "0",
        updated=escape(words["updated"]),
        notices=sections.notices(view, base),
        headline=sections.headline(view, stats),
        controls=sections.controls(view, base),
        timeline=tables.timeline(view, stats),
        regions=tables.regions(view, figures.by_region, base),
        checkpoints=tables.checkpoints(view, figures.checkpoints),
        downloads=sections.downloads(view, base),
    )
