"""CSV and GeoJSON of the aggregate counts: per local day, region and city. Never a report.

Rendered once per projection position and query like every public figure; at city-day
granularity the whole history is a few megabytes at most, so it is served from memory.
"""

from __future__ import annotations

import csv
import io
import json

from fastapi import APIRouter, Request, Response

from api.deps import Application, FiguresFilter, State
from api.errors import ERROR_RESPONSES
from api.figures import MEANING
from api.stats import query_stats
from domain.application import Svodka
from projections.queries import AsOf, Stats

router = APIRouter(tags=["public"])
COLUMNS = ("kind", "unit", "day", "region", "city", "verified", "unverified", "reports",
           "as_of_position", "as_of_recorded_at")


def to_csv(stats: Stats, kind: str) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    recorded = stats.as_of.recorded_at.isoformat() if stats.as_of.recorded_at else ""
    for g in stats.groups:
        t = g.totals
        writer.writerow((kind, MEANING[kind][0], g.key.get("day"), g.key.get("region"), g.key.get("city") or "",
                         t.verified, t.unverified, t.reports, stats.as_of.position, recorded))
    return out.getvalue().encode()


def to_geojson(stats: Stats, kind: str, application: Svodka) -> bytes:
    unit, meaning = MEANING[kind]
    features = []
    for g in stats.groups:
        city = g.key.get("city")
        # Points are the cities' published centres; a region-only count has no point.
        geometry = None
        if city:
            centre = application.gazetteer.city_by_name_en(city)
            geometry = {"type": "Point", "coordinates": [centre.lon, centre.lat]}
        features.append({"type": "Feature", "geometry": geometry, "properties": {
            "kind": kind, "unit": unit, "region": g.key.get("region"), "city": city or None,
            "verified": g.totals.verified, "unverified": g.totals.unverified, "reports": g.totals.reports,
        }})
    document = {
        "type": "FeatureCollection",
        "as_of": {"position": stats.as_of.position,
                  "recorded_at": stats.as_of.recorded_at.isoformat() if stats.as_of.recorded_at else None},
        "counts": meaning,
        "features": features,
    }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


@router.get("/v1/export.csv", response_class=Response, responses={
    200: {"content": {"text/csv": {}}, "description": "One row per local day, region and city."},
    **{k: v for k, v in ERROR_RESPONSES.items() if k in (422, 503)},
})
async def export_csv(request: Request, state: State, figures: FiguresFilter) -> Response:
    """Counts per local day, region and city, with the as_of position on every row."""
    async def render() -> tuple[AsOf, bytes]:
        current, stats = await query_stats(state, figures, ("day", "region", "city"))
        return current, to_csv(stats, figures.kind)

    return await state.cache.serve(request, f"csv|{figures.key()}", "text/csv; charset=utf-8", render)


@router.get("/v1/export.geojson", response_class=Response, responses={
    200: {"content": {"application/geo+json": {}}, "description": "One feature per region and city."},
    **{k: v for k, v in ERROR_RESPONSES.items() if k in (422, 503)},
})
async def export_geojson(request: Request, state: State, application: Application, figures: FiguresFilter) -> Response:
    """Counts per city (a point at its centre) and per region where no city is known."""
    async def render() -> tuple[AsOf, bytes]:
        current, stats = await query_stats(state, figures, ("region", "city"))
        return current, to_geojson(stats, figures.kind, application)

    return await state.cache.serve(request, f"geojson|{figures.key()}", "application/geo+json", render)
