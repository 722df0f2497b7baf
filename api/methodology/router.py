"""GET /methodology: what the figures count and how to cite them, in Russian or English."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime, timezone

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from api.dashboard import i18n
from api.dashboard.router import SECURITY_HEADERS, asset_urls
from api.export.rows import COLUMNS, hxl_row
from api.figures import Filter
from api.methodology.cite import cite
from api.methodology.numbers import numbers
from api.templating import templates
from projections.queries import AsOf

router = APIRouter(include_in_schema=False)
TEMPLATES = templates("api.methodology")

WORDS = {
    "ru": {"title": "Сводка: методология", "home_label": "Цифры", "nav_label": "Навигация"},
    "en": {"title": "Svodka: methodology", "home_label": "The figures", "nav_label": "Navigation"},
}
# The issue's own example, so the page shows what /v1/stats writes for the busiest day on record.
EXAMPLE = (Filter("detention", date(2022, 9, 21), date(2022, 9, 21), None, None, None),
           AsOf(1234, datetime(2022, 9, 21, 20, 0, tzinfo=timezone.utc)))


@router.get("/methodology", response_class=HTMLResponse)
async def methodology(request: Request, lang: str | None = None) -> HTMLResponse:
    lang = i18n.negotiate(lang, request.headers.get("accept-language"))
    other = "en" if lang == "ru" else "ru"
    base = request.scope.get("root_path", "").rstrip("/")
    config = request.app.state.config
    gazetteer = config.application.gazetteer
    context = {
        **WORDS[lang],
        "lang": lang,
        "other_lang": other,
        "other_lang_name": i18n.WORDS[lang]["other_lang_name"],
        "other_href": f"{base}/methodology?lang={other}",
        "home": f"{base}/?lang={lang}",
        "css": asset_urls(base)["dashboard.css"],
        "numbers": asdict(numbers(gazetteer, config.checkpoint_ttl)),
        "number": lambda value: i18n.number(value, lang),
        "example_cite": cite(*EXAMPLE, gazetteer),
        "columns": list(zip(COLUMNS, hxl_row("detention"), strict=True)),
    }
    page = TEMPLATES.get_template(f"methodology.{lang}.html").render(context)
    headers = {**SECURITY_HEADERS, "Cache-Control": "public, max-age=300", "Vary": "Accept-Language",
               "Content-Language": lang}
    return HTMLResponse(page, headers=headers)
