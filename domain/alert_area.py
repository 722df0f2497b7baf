"""Where a reporter asked to be alerted about checkpoints: a region, or one city in it."""

from __future__ import annotations

from domain.errors import UnknownPlace
from domain.places import Gazetteer

REGION, CITY = "region", "city"


def region_area(code: str) -> str:
    return f"{REGION}:{code}"


def city_area(name_en: str) -> str:
    return f"{CITY}:{name_en}"


def areas_of(region: str, city: str | None) -> list[str]:
    """The areas a checkpoint at this place (as a report names it) is in."""
    return [region_area(region)] + ([city_area(city)] if city else [])


def check_area(area: str, gazetteer: Gazetteer) -> str:
    """The area if the gazetteer knows it; a button's payload can be anything a client sends."""
    kind, _, name = area.partition(":")
    if kind == REGION and gazetteer.has_region(name):
        return region_area(gazetteer.region(name).code)
    if kind == CITY:
        gazetteer.city_by_name_en(name)  # raises UnknownPlace
        return area
    raise UnknownPlace(f"Unknown alert area {area!r}.", code="alert_area", field="area", parts={"value": area})
