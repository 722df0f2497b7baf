"""GET /v1/export.csv, /v1/export.xlsx and /v1/export.geojson: the figures /v1/stats gives, as files.

Rendered once per projection position and query like every public figure. At city-day
granularity the rows are bounded by days × places, not by events: a year of every city is
~70,000 rows, however many reports stand behind them.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response

from api.deps import Application, FiguresFilter, State
from api.errors import ERROR_RESPONSES
from api.export.geojson import to_geojson
from api.export.rows import as_of_time, disposition, filename, rows
from api.export.tabular import to_csv, to_xlsx
from api.figures import MEANING, Filter
from api.methodology.cite import cite
from api.stats import query_stats
from domain.application import Svodka
from projections.queries import AsOf, Stats

router = APIRouter(tags=["public"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ERRORS = {k: v for k, v in ERROR_RESPONSES.items() if k in (422, 503)}
BY_DAY = ("day", "region", "city")

HxlFlag = Annotated[bool, Query(description="Add HXL hashtags (hxlstandard.org) as a second header row.")]


def _headers(request: Request, name: str) -> dict[str, str]:
    # The methodology says what each column counts; the link travels with the file's response.
    methodology = request.scope.get("root_path", "").rstrip("/") + "/methodology"
    return {"content-disposition": disposition(name), "link": f'<{methodology}>; rel="describedby"'}


@router.get("/v1/export.csv", response_class=Response, responses={
    200: {"content": {"text/csv": {}}, "description": "One row per local day, region and city."}, **ERRORS,
})
async def export_csv(
    request: Request, state: State, application: Application, figures: FiguresFilter, hxl: HxlFlag = False,
    excel: Annotated[bool, Query(description="For Excel in a Russian (or any ';') locale: a byte-order mark "
                                 "and ';' between fields.")] = False,
) -> Response:
    """Counts per local day, region and city, places named in Russian and English, the as-of on every row.

    What each column means: /methodology.
    """
    async def render() -> tuple[AsOf, bytes, dict[str, str]]:
        current, stats = await query_stats(state, figures, BY_DAY)
        body = to_csv(rows(stats, figures.kind, application.gazetteer), figures.kind, hxl=hxl, excel=excel)
        return current, body, _headers(request, filename(figures, stats.as_of, "csv"))

    key = f"csv|{int(hxl)}{int(excel)}|{figures.key()}"
    return await state.cache.serve(request, key, "text/csv; charset=utf-8", render)


@router.get("/v1/export.xlsx", response_class=Response, responses={
    200: {"content": {XLSX: {}}, "description": "The CSV's rows as an Excel workbook, with an 'about' sheet."},
    **ERRORS,
})
async def export_xlsx(
    request: Request, state: State, application: Application, figures: FiguresFilter, hxl: HxlFlag = False,
) -> Response:
    """The CSV's rows as a workbook any locale's Excel opens with a double click; what they count, on a
    second sheet."""
    async def render() -> tuple[AsOf, bytes, dict[str, str]]:
        current, stats = await query_stats(state, figures, BY_DAY)
        about = _about(figures, stats, application)
        body = to_xlsx(rows(stats, figures.kind, application.gazetteer), figures.kind, about=about, hxl=hxl)
        return current, body, _headers(request, filename(figures, stats.as_of, "xlsx"))

    return await state.cache.serve(request, f"xlsx|{int(hxl)}|{figures.key()}", XLSX, render)


@router.get("/v1/export.geojson", response_class=Response, responses={
    200: {"content": {"application/geo+json": {}}, "description": "One feature per city (and day, with per=day)."},
    **ERRORS,
})
async def export_geojson(
    request: Request, state: State, application: Application, figures: FiguresFilter,
    per: Annotated[Literal["day"] | None, Query(description="'day': one feature per place and local day, "
                                                 "for maps over time. Default: summed over the period.")] = None,
) -> Response:
    """Counts per city (a point at its centre) and per region where no city is known; each feature has a
    stable `id`."""
    dims = BY_DAY if per == "day" else ("region", "city")

    async def render() -> tuple[AsOf, bytes, dict[str, str]]:
        current, stats = await query_stats(state, figures, dims)
        name = filename(figures, stats.as_of, "geojson")
        return current, to_geojson(stats, figures.kind, application.gazetteer), _headers(request, name)

    return await state.cache.serve(request, f"geojson|{per or ''}|{figures.key()}", "application/geo+json", render)


def _about(figures: Filter, stats: Stats, application: Svodka) -> list[tuple[str, str]]:
    return [
        ("counts", MEANING[figures.kind][1]),
        ("as_of_position", str(stats.as_of.position)),
        ("as_of_time_utc", as_of_time(stats.as_of)),
        ("cite", cite(figures, stats.as_of, application.gazetteer)),
        ("methodology", "/methodology on the server this file came from"),
        ("total_verified", str(stats.total.verified)),
        ("total_unverified", str(stats.total.unverified)),
        ("total_reports", str(stats.total.reports)),
    ]
