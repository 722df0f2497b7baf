"""How public outputs name a place in Russian and English, even one the shipped gazetteer lacks."""

from __future__ import annotations

from domain.errors import UnknownPlace
from domain.places import Gazetteer


def region_names(gazetteer: Gazetteer, code: str) -> tuple[str, str]:
    """(Russian, English); a code the gazetteer lacks still gets its row, under the code itself."""
    try:
        region = gazetteer.region(code)
    except UnknownPlace:
        return code, code
    return region.name_ru, region.name_en


def city_names(gazetteer: Gazetteer, name_en: str) -> tuple[str, str]:
    """(Russian, English) of a city the read model keys by its English name; ("", "") for none."""
    if not name_en:
        return "", ""
    try:
        city = gazetteer.city_by_name_en(name_en)
    except UnknownPlace:
        return name_en, name_en
    return city.name_ru, city.name_en
