"""The whole page as one HTML string, from Jinja2 templates that escape every value they are given."""

from __future__ import annotations

from api.dashboard import i18n, sections, tables
from api.dashboard.choropleth import choropleth
from api.dashboard.data import Figures
from api.dashboard.i18n import WORDS
from api.dashboard.templating import TEMPLATES
from api.dashboard.view import CITY_SORT_KEYS, SORT_KEYS, View, local_input
from domain.places import Gazetteer
from projections.queries import Stats, Totals


def render_page(view: View, figures: Figures, *, base: str, assets: dict[str, str],
                gazetteer: Gazetteer | None = None) -> str:
    gazetteer = gazetteer or Gazetteer.default()
    lang = view.lang
    other = "en" if lang == "ru" else "ru"
    stats = figures.by_day
    live = view.at is None
    chart, days = tables.timeline(view, stats)
    by_city = figures.by_city or Stats(stats.as_of, Totals())
    recorded = stats.as_of.recorded_at
    return TEMPLATES.get_template("page.html").render(
        view=view,
        w=WORDS[lang],
        base=base,
        assets=assets,
        number=lambda n: i18n.number(n, lang),
        other_lang=other,
        other_href=base + "/" + view.query(lang=other),
        stats_url=sections.stats_url(view, base) if live else "",
        position=stats.as_of.position,
        live=live,
        place=sections.place(view, gazetteer),
        all_places_href=base + "/" + view.query(region=None, city=None),
        at_text=i18n.moment(view.at, lang) if view.at else "",
        now_href=base + "/" + view.query(as_of=None),
        period=sections.period(view),
        headline=[("verified", stats.total.verified), ("unverified", stats.total.unverified),
                  ("reports", stats.total.reports)],
        recorded=recorded,
        recorded_text=i18n.moment(recorded, lang) if recorded else "",
        methodology_href=f"{base}/methodology?lang={lang}",
        today=view.now.astimezone(i18n.MOSCOW).date().isoformat(),
        at_value=local_input(view.at) if view.at else "",
        now_value=local_input(view.now),
        timeline_chart=chart,
        days=days,
        map=choropleth(view, figures.country or figures.by_region, gazetteer, base),
        region_heads=tables.heads(view, base, SORT_KEYS, cities=False),
        region_rows=tables.region_rows(view, figures.by_region, gazetteer, base),
        region_total=figures.by_region.total,
        city_heads=tables.heads(view, base, CITY_SORT_KEYS, cities=True),
        city_rows=tables.city_rows(view, by_city, gazetteer, base),
        checkpoints=tables.checkpoints(view, figures.checkpoints, gazetteer),
        bulletin=sections.bulletin(view, figures.bulletin, gazetteer, base),
        downloads=sections.downloads(view, base),
    )
