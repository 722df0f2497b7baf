"""The counts as GeoJSON points at city centres: summed over the period, or one feature per local day."""

from __future__ import annotations

import json

from api.export.rows import as_of_time
from api.places import city_names, region_names
from api.figures import MEANING
from domain.errors import UnknownPlace
from domain.places import Gazetteer
from projections.queries import Stats


def feature_id(kind: str, region: str, city: str, day: str | None) -> str:
    """The same place (and day) keeps its id at every as-of position, so a map can follow it."""
    return "/".join(part for part in (kind, day, region, city or "-") if part)


def to_geojson(stats: Stats, kind: str, gazetteer: Gazetteer) -> bytes:
    unit, meaning = MEANING[kind]
    features = []
    for g in stats.groups:
        region, city, day = g.key["region"], g.key.get("city") or "", g.key.get("day")
        # Points are the cities' published centres; a region-only count has no point.
        geometry = None
        if city:
            try:
                centre = gazetteer.city_by_name_en(city)
                geometry = {"type": "Point", "coordinates": [centre.lon, centre.lat]}
            except UnknownPlace:
                pass
        region_ru, region_en = region_names(gazetteer, region)
        city_ru, city_en = city_names(gazetteer, city)
        properties = {"day": day} if day else {}
        properties.update({
            "kind": kind, "unit": unit, "region": region, "region_name_ru": region_ru, "region_name_en": region_en,
            "city": city or None, "city_name_ru": city_ru or None, "city_name_en": city_en or None,
            "verified": g.totals.verified, "unverified": g.totals.unverified, "reports": g.totals.reports,
        })
        features.append({"type": "Feature", "id": feature_id(kind, region, city, day), "geometry": geometry,
                         "properties": properties})
    document = {
        "type": "FeatureCollection",
        "as_of": {"position": stats.as_of.position, "recorded_at": as_of_time(stats.as_of) or None},
        "counts": meaning,
        "features": features,
    }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
