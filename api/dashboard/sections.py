"""The addresses and words the page's sections need besides the figures: links, period, times."""

from __future__ import annotations

from urllib.parse import urlencode

from api.dashboard import i18n
from api.dashboard.i18n import WORDS
from api.dashboard.view import View
from api.places import city_names, region_names
from domain.bulletin_text import render
from domain.places import Gazetteer
from projections.bulletins import KeptBulletin, as_of_instant


def stats_url(view: View, base: str) -> str:
    """The API question whose answer this page's figures are, so the script can ask it again."""
    return _url(base, "stats", {"kind": "detention", **_filters(view, at=False)})


def period(view: View) -> str:
    lang = view.lang
    return WORDS[lang]["period"].format(
        start=i18n.long_day(view.date_from, lang, year=view.date_from.year != view.date_to.year),
        end=i18n.long_day(view.date_to, lang, year=True),
    )


def place(view: View, gazetteer: Gazetteer) -> str:
    """The place the page is narrowed to, as its reader names it; "" for the whole country."""
    index = 0 if view.lang == "ru" else 1
    if view.city:
        return f"{city_names(gazetteer, view.city)[index]}, {region_names(gazetteer, view.region or '')[index]}"
    return region_names(gazetteer, view.region)[index] if view.region else ""


def downloads(view: View, base: str) -> list[tuple[str, str, str, str]]:
    """(format, media type, this period's file, every day's file), all as of the page's instant and
    for its place: the same filters /v1/stats took."""
    period_filters = _filters(view, at=True)
    all_days = {k: v for k, v in period_filters.items() if k not in ("from", "to")}
    return [
        ("CSV", "text/csv", _url(base, "export.csv", period_filters), _url(base, "export.csv", all_days)),
        ("Excel (.xlsx)", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
         _url(base, "export.xlsx", period_filters), _url(base, "export.xlsx", all_days)),
        ("GeoJSON", "application/geo+json", _url(base, "export.geojson", period_filters),
         _url(base, "export.geojson", all_days)),
    ]


def _filters(view: View, *, at: bool) -> dict[str, str]:
    params = {"from": view.date_from.isoformat(), "to": view.date_to.isoformat()}
    if view.city:
        params["city"] = view.city
    elif view.region:
        params["region"] = view.region
    if at and view.at:
        params["as_of"] = view.at.isoformat()
    return params


def _url(base: str, name: str, params: dict[str, str]) -> str:
    return f"{base}/v1/{name}" + (f"?{urlencode(params)}" if params else "")


def bulletin(view: View, kept: KeptBulletin | None, gazetteer: Gazetteer, base: str) -> dict | None:
    """The latest bulletin as posted, in the reader's language, with a link to this page as of its figures."""
    if kept is None:
        return None
    lang = view.lang
    text = render(kept.figures, slot=kept.slot, late=kept.late, as_of_position=kept.as_of.position,
                  as_of_recorded_at=kept.as_of.recorded_at, lang=lang, gazetteer=gazetteer)  # fmt: skip
    as_of = kept.as_of.recorded_at
    return {
        "id": str(kept.id),
        "text": text,
        "as_of_href": f"{base}/?{urlencode({'lang': lang, 'as_of': as_of_instant(as_of)})}" if as_of else "",
        "as_of_text": i18n.moment(as_of, lang) if as_of else "",
        "api_href": _url(base, f"bulletins/{kept.id}", {}),
    }
