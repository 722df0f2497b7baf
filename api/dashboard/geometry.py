"""The regions' outlines as SVG paths, projected once per process from the shipped GeoJSON.

`geo/ru-regions.geojson` (public domain, from Natural Earth; `geo/README.md` gives its source and
licence) is read from the package, never fetched. Chukotka's longitudes run past 180° in it, so the
projection takes them as they are. An Albers equal-area conic centred on 100°E: a choropleth shades
areas, so areas keep their proportions, and Russia's width bends as on any atlas page.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

WIDTH = 1000  # viewBox units; the height follows from the country's shape
CENTRE_LON, ORIGIN_LAT, PARALLELS = 100.0, 56.0, (52.0, 64.0)
MARGIN = 12  # room for the markers of the regions on the edge (Sevastopol)
SMALL = 12  # viewBox units: a region whose outline fits a box this wide is a speck at any screen size


@dataclass(frozen=True, slots=True)
class Outline:
    code: str  # the gazetteer's region code
    path: str  # SVG path data: only numbers and the letters M, l, z
    disputed: bool
    # Where to put a marker for a region too small to see (the federal cities): its box's centre, else None.
    marker: tuple[int, int] | None = None


@dataclass(frozen=True, slots=True)
class Geometry:
    width: int
    height: int
    outlines: tuple[Outline, ...]


def _albers(lon: float, lat: float) -> tuple[float, float]:
    phi1, phi2 = (math.radians(p) for p in PARALLELS)
    n = (math.sin(phi1) + math.sin(phi2)) / 2
    c = math.cos(phi1) ** 2 + 2 * n * math.sin(phi1)
    rho0 = math.sqrt(c - 2 * n * math.sin(math.radians(ORIGIN_LAT))) / n
    rho = math.sqrt(c - 2 * n * math.sin(math.radians(lat))) / n
    theta = n * math.radians(lon - CENTRE_LON)
    return rho * math.sin(theta), rho0 - rho * math.cos(theta)


@cache
def geometry() -> Geometry:
    document = json.loads(files("api.dashboard").joinpath("geo", "ru-regions.geojson").read_text(encoding="utf-8"))
    projected = []
    for feature in document["features"]:
        shape = feature["geometry"]
        polygons = shape["coordinates"] if shape["type"] == "MultiPolygon" else [shape["coordinates"]]
        rings = [[_albers(lon, lat) for lon, lat in ring] for polygon in polygons for ring in polygon]
        projected.append((feature["properties"], rings))
    xs = [x for _, rings in projected for ring in rings for x, _ in ring]
    ys = [y for _, rings in projected for ring in rings for _, y in ring]
    scale = (WIDTH - 2 * MARGIN) / (max(xs) - min(xs))
    left, top = min(xs), max(ys)
    height = round((max(ys) - min(ys)) * scale) + 2 * MARGIN

    def point(x: float, y: float) -> tuple[int, int]:
        # Whole units: shared borders round alike on both sides, and the page stays small.
        return round((x - left) * scale) + MARGIN, round((top - y) * scale) + MARGIN

    outlines = []
    for properties, rings in projected:
        points = [[point(x, y) for x, y in ring] for ring in rings]
        xs, ys = [x for ring in points for x, _ in ring], [y for ring in points for _, y in ring]
        small = max(xs) - min(xs) <= SMALL and max(ys) - min(ys) <= SMALL
        marker = ((max(xs) + min(xs)) // 2, (max(ys) + min(ys)) // 2) if small else None
        outlines.append(Outline(str(properties["code"]), _path(points), bool(properties.get("disputed")), marker))
    return Geometry(WIDTH, height, tuple(outlines))


def _path(rings: list[list[tuple[int, int]]]) -> str:
    """Each ring as one absolute move and relative lines; holes are rings too (fill-rule evenodd)."""
    parts = []
    for ring in rings:
        kept = [p for i, p in enumerate(ring) if i == 0 or p != ring[i - 1]]
        if len(kept) < 4:
            continue  # an islet smaller than a unit: nothing to see at this scale
        (x0, y0), steps = kept[0], []
        for (ax, ay), (bx, by) in zip(kept, kept[1:]):
            steps.append(f"{bx - ax} {by - ay}")
        parts.append(f"M{x0} {y0}l" + " ".join(steps) + "z")
    return "".join(parts)
