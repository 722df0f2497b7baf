"""How the console writes places, local times and ages, in the page's language."""

from __future__ import annotations

from datetime import datetime, timedelta

from domain.places import Gazetteer


def place_name(gazetteer: Gazetteer, region: str, city: str | None, lang: str) -> str:
    """"Казань, Республика Татарстан": the city in the page's language, then its region."""
    region_name = gazetteer.name(region, lang) if gazetteer.has_region(region) else region
    if not city:
        return region_name
    found = gazetteer.city(city)
    shown = (found.name_ru if lang == "ru" else found.name_en) if found else city
    return shown if region_name.startswith(shown) else f"{shown}, {region_name}"  # not "Москва, Москва"


def city_name(gazetteer: Gazetteer, city: str | None, lang: str) -> str:
    found = gazetteer.city(city) if city else None
    return (found.name_ru if lang == "ru" else found.name_en) if found else (city or "")


def local_time(gazetteer: Gazetteer, at: datetime, region: str) -> str:
    """The place's wall clock with its UTC offset: "2026-11-21 19:40 UTC+03:00"."""
    local = at.astimezone(gazetteer.region(region).tz()) if gazetteer.has_region(region) else at
    offset = local.strftime("%z")
    return f"{local:%Y-%m-%d %H:%M} UTC{offset[:3]}:{offset[3:]}"


def local_input(gazetteer: Gazetteer, at: datetime, region: str) -> str:
    """For a datetime-local field, in the place's time."""
    local = at.astimezone(gazetteer.region(region).tz()) if gazetteer.has_region(region) else at
    return f"{local:%Y-%m-%dT%H:%M}"


AGE_UNITS = {"ru": ("мин", "ч", "дн"), "en": ("min", "h", "d")}


def age(since: datetime, now: datetime, lang: str) -> str:
    minute, hour, day = AGE_UNITS[lang]
    gone = max(now - since, timedelta(0))
    minutes = int(gone.total_seconds() // 60)
    if minutes < 60:
        return f"{minutes} {minute}"
    if minutes < 48 * 60:
        return f"{minutes // 60} {hour} {minutes % 60} {minute}"
    return f"{gone.days} {day}"
