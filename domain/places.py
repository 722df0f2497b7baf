"""The shipped gazetteer: Russia's regions and cities, and the rules that turn what a
reporter typed or sent (a region code, a city name, a GPS point) into a Place."""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from domain.errors import InvalidReport, UnknownPlace

DATA_FILE = Path(__file__).with_name("gazetteer.json")
EARTH_RADIUS_KM = 6371.0088
# A point farther than this from the named city's centre contradicts it: the largest cities
# reach some 30 km from their centre, and a phone's fix is rarely off by more than a few.
CITY_REACH_KM = 50.0

_SEPARATORS = re.compile(r"[\s\-‐‑‒–—.,_/]+")
_APOSTROPHES = re.compile(r"['’ʼ`´]")
# People write "г. Москва" or "город Москва"; the prefix says nothing about which city.
_CITY_PREFIX = re.compile(r"^(?:г|гор|город|gorod)\s+")


@dataclass(frozen=True, slots=True)
class Region:
    code: str
    name_ru: str
    name_en: str
    timezone: str

    def tz(self) -> ZoneInfo:
        # ZoneInfo keeps its own cache of instances by key, so this costs a dict lookup.
        return ZoneInfo(self.timezone)


@dataclass(frozen=True, slots=True)
class City:
    name_ru: str
    name_en: str
    region: str
    lat: float
    lon: float
    population: int


@dataclass(frozen=True, slots=True)
class Place:
    """Where a report happened, as precisely as it is ever published."""

    region: str
    city: str | None  # the city's name_en, or None when only the region is known


def normalise(name: str) -> str:
    """The form names are compared in: case, ё/е, hyphens, dots and spacing don't matter."""
    text = _APOSTROPHES.sub("", name.casefold().replace("ё", "е"))
    text = _SEPARATORS.sub(" ", text).strip()
    return _CITY_PREFIX.sub("", text)


def coarse(lat: float, lon: float) -> tuple[float, float]:
    """A point snapped to a grid of about 1.1 km, the most precision ever published."""
    _check_point(lat, lon)
    clat = round(float(lat), 2)
    # The lon step widens with latitude so cells stay ~1.1 km wide; 0.01° is only 0.4 km at Norilsk.
    step = 0.01 / max(math.cos(math.radians(clat)), 0.01)
    clon = round(round(float(lon) / step) * step, 4)
    if clon > 180:
        clon -= 360
    elif clon < -180:
        clon += 360
    return clat, clon


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle (haversine) distance."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def _check_point(lat: Any, lon: Any) -> None:
    ok = all(isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in (lat, lon))
    if not ok or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise UnknownPlace(
            f"Invalid point ({lat!r}, {lon!r}): latitude must be within ±90 and longitude within ±180.",
            code="point_invalid", field="location", parts={"lat": lat, "lon": lon},
        )


class Gazetteer:
    """Regions and cities, indexed once; every lookup afterwards is a dict access or a short scan."""

    def __init__(
        self,
        regions: Iterable[Region],
        cities: Iterable[City],
        *,
        aliases: Mapping[str, Iterable[str]] | None = None,
        capitals: Mapping[str, str] | None = None,
    ) -> None:
        self.regions: tuple[Region, ...] = tuple(regions)
        self.cities: tuple[City, ...] = tuple(cities)
        self._regions = {r.code.upper(): r for r in self.regions}
        self._by_name_en = {c.name_en: c for c in self.cities}
        self._capitals = dict(capitals or {})
        if len(self._regions) != len(self.regions) or len(self._by_name_en) != len(self.cities):
            raise ValueError("gazetteer has a duplicate region code or city name_en")
        for c in self.cities:
            if c.region.upper() not in self._regions:
                raise ValueError(f"city {c.name_en} names unknown region {c.region}")
        self._by_key: dict[str, City] = {}
        for c in self.cities:
            for name in (c.name_ru, c.name_en, *(aliases or {}).get(c.name_en, ())):
                key = normalise(name)
                if self._by_key.setdefault(key, c) is not c:
                    # An ambiguous name would silently send reports to the wrong city.
                    raise ValueError(f"name {name!r} means both {self._by_key[key].name_en} and {c.name_en}")
        # Most populous first, so prefix suggestions offer the likelier city.
        self._keys = sorted(self._by_key, key=lambda k: -self._by_key[k].population)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Gazetteer:
        regions = [Region(r["code"], r["name_ru"], r["name_en"], r["timezone"]) for r in data["regions"]]
        cities = [
            City(
                c["name_ru"],
                c["name_en"],
                c["region"],
                float(c["lat"]),
                float(c["lon"]),
                int(c["population"]),
            )
            for c in data["cities"]
        ]
        aliases = {c["name_en"]: c.get("aliases", ()) for c in data["cities"]}
        capitals = {r["code"]: r["capital"] for r in data["regions"] if r.get("capital")}
        return cls(regions, cities, aliases=aliases, capitals=capitals)

    @classmethod
    @functools.cache
    def default(cls) -> Gazetteer:
        """The shipped gazetteer, read once per process."""
        return cls.from_json(json.loads(DATA_FILE.read_text(encoding="utf-8")))

    # -- regions -----------------------------------------------------------------

    def region(self, code: str) -> Region:
        found = self._regions.get(code.strip().upper())
        if found is None:
            raise UnknownPlace(
                f"Unknown region code {code!r}: use an ISO 3166-2 code such as RU-MOW or RU-SPE.",
                code="region", field="region", parts={"value": code},
            )
        return found

    def has_region(self, code: str) -> bool:
        return code.strip().upper() in self._regions

    def name(self, code: str, lang: str) -> str:
        region = self.region(code)
        if lang == "ru":
            return region.name_ru
        if lang == "en":
            return region.name_en
        raise ValueError(f"no region names in language {lang!r}; have 'ru' and 'en'")

    def capital(self, code: str) -> City:
        return self._by_name_en[self._capitals[self.region(code).code]]

    def local_date(self, instant: datetime, region_code: str) -> date:
        """The calendar day in the region: a 23:00 detention in Novosibirsk is not Moscow's day."""
        if instant.tzinfo is None or instant.utcoffset() is None:
            raise ValueError("instant must be timezone-aware")
        return instant.astimezone(self.region(region_code).tz()).date()

    def localise(self, local: datetime, region_code: str) -> datetime:
        """A wall-clock time typed at a place (no offset) as an instant, in the region's zone.
        A time the clocks skipped (a change of zone rules) is refused rather than guessed."""
        if local.tzinfo is not None:
            raise ValueError("local must be a wall-clock time, without an offset")
        tz = self.region(region_code).tz()
        instant = local.replace(tzinfo=tz)
        if instant.astimezone(timezone.utc).astimezone(tz).replace(tzinfo=None) != local:
            raise InvalidReport(
                f"{local:%Y-%m-%d %H:%M} did not exist in {tz.key}: the clocks skipped it.", code="time_skipped",
                field="occurred_at", parts={"local": f"{local:%Y-%m-%d %H:%M}", "zone": tz.key},
            )
        return instant

    # -- cities ------------------------------------------------------------------

    def city(self, name: str) -> City | None:
        return self._by_key.get(normalise(name))

    def city_by_name_en(self, name_en: str) -> City:
        found = self._by_name_en.get(name_en)
        if found is None:
            raise UnknownPlace(f"Unknown city {name_en!r}.", code="city", field="city", parts={"value": name_en})
        return found

    def suggest(self, name: str, limit: int = 3) -> list[City]:
        """Spellings a mistyped or cut-short name may have meant, closest first, then the most
        populous: a name within an edit or two (one up to 7 letters, so "Пущино" never offers
        Pushkino), or one that begins with 4 or more letters typed. Only ever a hint to show."""
        query = normalise(name)
        if not query or limit <= 0:
            return []
        allowed = 1 if len(query) <= 7 else 2 if len(query) <= 12 else 3
        best: dict[City, int] = {}
        for key, city in self._by_key.items():
            if len(query) >= 4 and key.startswith(query):
                score = 1 if key != query else 0
            elif abs(len(key) - len(query)) <= allowed:
                score = edit_distance(query, key, allowed)
                if score > allowed:
                    continue
            else:
                continue
            if score < best.get(city, allowed + 1):
                best[city] = score
        return sorted(best, key=lambda c: (best[c], -c.population, c.name_en))[:limit]

    def nearest(self, lat: float, lon: float, max_km: float = 300.0) -> City:
        _check_point(lat, lon)
        city = min(self.cities, key=lambda c: distance_km(lat, lon, c.lat, c.lon))
        if distance_km(lat, lon, city.lat, city.lon) > max_km:
            raise UnknownPlace(
                f"No known city within {max_km:g} km of this point; it is outside the area covered.",
                code="point_far", field="location", parts={"km": max_km},
            )
        return city

    # -- the rule for a report's place ---------------------------------------------

    def resolve(
        self,
        *,
        region: str | None = None,
        city: str | None = None,
        lat: float | None = None,
        lon: float | None = None,
    ) -> Place:
        """A region code, a city name or a point, in any combination, turned into one Place.

        A typed city name wins over a point within CITY_REACH_KM of its centre; a point farther
        away contradicts it and is refused, naming both. A point alone gives its nearest city.
        A region that contradicts the city is refused.
        """
        has_city = city is not None and normalise(city) != ""
        has_point = lat is not None or lon is not None
        if region is None and not has_city and not has_point:
            raise UnknownPlace("Say where it happened: a region, a city or a point.", code="no_place")
        known = self.region(region) if region is not None else None
        if has_point:
            _check_point(lat, lon)
        if has_city:
            assert city is not None
            place = self._place_of_city(city, known)
            if has_point:
                assert lat is not None and lon is not None
                self._check_point_in_city(lat, lon, self._by_name_en[place.city])  # type: ignore[index]
            return place
        if has_point:
            assert lat is not None and lon is not None
            return self._place_of_point(lat, lon, known)
        assert known is not None
        return Place(known.code, None)

    def _check_point_in_city(self, lat: float, lon: float, city: City) -> None:
        km = distance_km(lat, lon, city.lat, city.lon)
        if km <= CITY_REACH_KM:
            return
        try:
            near = self.nearest(lat, lon)
            there = f"; it is near {near.name_en} ({near.region})"
        except UnknownPlace:
            near, there = None, ""
        raise UnknownPlace(
            f"The location ({lat:.2f}, {lon:.2f}) is {km:,.0f} km from the centre of {city.name_en} "
            f"({city.region}){there}. Send the city where it happened, or the location alone.",
            code="point_city_far", field="location",
            parts={"lat": lat, "lon": lon, "km": km, "city": city, "near": near},
        )

    def _place_of_city(self, name: str, region: Region | None) -> Place:
        found = self.city(name)
        if found is None:
            hints = [c.name_ru if is_cyrillic(name) else c.name_en for c in self.suggest(name)]
            hint = f" Did you mean {', '.join(hints)}?" if hints else ""
            raise UnknownPlace(
                f"Unknown city {name!r}.{hint} If it is not listed, give the region (e.g. RU-MOS) "
                "or a point instead.",
                code="city_hint" if hints else "city", field="city", parts={"value": name, "hints": ", ".join(hints)},
            )
        if region is not None and found.region != region.code:
            other = self._regions[found.region]
            raise UnknownPlace(
                f"{found.name_en} is in {other.name_en} ({other.code}),"
                f" not in {region.name_en} ({region.code}).",
                code="city_region", field="city", parts={"city": found, "there": other, "given": region},
            )
        return Place(found.region, found.name_en)

    def _place_of_point(self, lat: float, lon: float, region: Region | None) -> Place:
        if region is None:
            found = self.nearest(lat, lon)
            return Place(found.region, found.name_en)
        # The reporter named the region, so it stands; a point near a border may be
        # nearest to a city across it, and then only the region is known.
        try:
            found = self.nearest(lat, lon)
        except UnknownPlace:
            return Place(region.code, None)
        return Place(region.code, found.name_en if found.region == region.code else None)


def edit_distance(a: str, b: str, most: int) -> int:
    """Levenshtein distance, or `most + 1` as soon as it must exceed `most`."""
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        if min(current) > most:
            return most + 1
        previous = current
    return previous[-1]


def is_cyrillic(text: str) -> bool:
    return any("а" <= ch <= "я" or ch == "ё" for ch in text.casefold())
