"""The shipped gazetteer: its data is complete and its lookups forgive how people type."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from domain.errors import UnknownPlace
from domain.places import City, Gazetteer, Place, Region, coarse, distance_km, normalise


@pytest.fixture(scope="module")
def gaz() -> Gazetteer:
    return Gazetteer.default()


# -- the data ----------------------------------------------------------------------


def test_there_are_85_regions_with_unique_codes(gaz: Gazetteer) -> None:
    codes = [r.code for r in gaz.regions]
    assert len(codes) == 85
    assert len(set(codes)) == 85
    assert sum(c.startswith("RU-") for c in codes) == 83
    assert {"UA-43", "UA-40"} <= set(codes)
    assert {"RU-MOW", "RU-SPE", "RU-SVE", "RU-NVS", "RU-KRS"} <= set(codes)


def test_every_timezone_loads(gaz: Gazetteer) -> None:
    for region in gaz.regions:
        assert isinstance(region.tz(), ZoneInfo), region.code


@pytest.mark.parametrize(
    ("code", "tz"),
    [
        ("RU-MOW", "Europe/Moscow"),
        ("RU-KGD", "Europe/Kaliningrad"),
        ("RU-SVE", "Asia/Yekaterinburg"),
        ("RU-NVS", "Asia/Novosibirsk"),
        ("RU-SA", "Asia/Yakutsk"),
        ("RU-KAM", "Asia/Kamchatka"),
        ("RU-CHU", "Asia/Anadyr"),
        ("UA-43", "Europe/Simferopol"),
    ],
)
def test_timezones_of_some_regions(gaz: Gazetteer, code: str, tz: str) -> None:
    assert gaz.region(code).timezone == tz


def test_every_region_has_a_city_and_its_capital(gaz: Gazetteer) -> None:
    with_cities = {c.region for c in gaz.cities}
    for region in gaz.regions:
        assert region.code in with_cities, region.code
        assert gaz.capital(region.code).region == region.code


def test_city_records_are_sane(gaz: Gazetteer) -> None:
    assert len(gaz.cities) >= 170
    assert len({c.name_en for c in gaz.cities}) == len(gaz.cities)
    for c in gaz.cities:
        # Russia and Crimea lie within these bounds; Chukotka's Anadyr is just west of 180°.
        assert 41 < c.lat < 78 and 19 < c.lon < 180, c
        assert c.population > 0, c


def test_known_cities_are_where_they_belong(gaz: Gazetteer) -> None:
    assert gaz.city("Moscow") == gaz.capital("RU-MOW")
    assert gaz.city("Saint Petersburg").region == "RU-SPE"  # type: ignore[union-attr]
    assert gaz.city("Sevastopol").region == "UA-40"  # type: ignore[union-attr]
    assert gaz.city("Kursk").region == "RU-KRS"  # type: ignore[union-attr]
    assert gaz.city("Surgut").region == "RU-KHM"  # type: ignore[union-attr]
    # Moscow to St Petersburg is about 634 km as the crow flies.
    assert distance_km(55.7558, 37.6173, 59.9386, 30.3141) == pytest.approx(634, abs=5)


# -- names -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "name_en"),
    [
        ("Москва", "Moscow"),
        ("МОСКВА", "Moscow"),
        ("moscow", "Moscow"),
        ("  Moscow  ", "Moscow"),
        ("г. Москва", "Moscow"),
        ("Орёл", "Oryol"),
        ("орел", "Oryol"),
        ("Orel", "Oryol"),
        ("Санкт Петербург", "Saint Petersburg"),
        ("санкт-петербург", "Saint Petersburg"),
        ("Санкт  -  Петербург", "Saint Petersburg"),
        ("Ростов на Дону", "Rostov-on-Don"),
        ("Yoshkar Ola", "Yoshkar-Ola"),
        ("Королев", "Korolyov"),
    ],
)
def test_city_by_name_ignores_case_yo_and_separators(gaz: Gazetteer, typed: str, name_en: str) -> None:
    found = gaz.city(typed)
    assert found is not None and found.name_en == name_en


@pytest.mark.parametrize(
    ("alias", "name_en"),
    [
        ("Питер", "Saint Petersburg"),
        ("СПб", "Saint Petersburg"),
        ("St. Petersburg", "Saint Petersburg"),
        ("St Petersburg", "Saint Petersburg"),
        ("Ekaterinburg", "Yekaterinburg"),
        ("Moskva", "Moscow"),
        ("Togliatti", "Tolyatti"),
    ],
)
def test_city_by_alias(gaz: Gazetteer, alias: str, name_en: str) -> None:
    assert gaz.city(alias) == gaz.city_by_name_en(name_en)


def test_unknown_city_name_is_none(gaz: Gazetteer) -> None:
    assert gaz.city("Paris") is None
    assert gaz.city("") is None


def test_city_by_name_en_is_exact(gaz: Gazetteer) -> None:
    assert gaz.city_by_name_en("Novosibirsk").name_ru == "Новосибирск"
    with pytest.raises(UnknownPlace) as err:
        gaz.city_by_name_en("Atlantis")
    assert err.value.field == "city"


def test_normalise() -> None:
    assert normalise(" Санкт--Петербург ") == normalise("санкт петербург") == "санкт петербург"
    assert normalise("Nar'yan-Mar") == normalise("Naryan Mar")


@pytest.mark.parametrize(
    ("typed", "first"),
    [
        ("Новосиб", "Novosibirsk"),
        ("Ekaterinburg", "Yekaterinburg"),
        ("Yekaterinburgg", "Yekaterinburg"),
        ("Krasnojarsk", "Krasnoyarsk"),
        ("Vladivostock", "Vladivostok"),
    ],
)
def test_suggestions_for_misspellings(gaz: Gazetteer, typed: str, first: str) -> None:
    suggestions = gaz.suggest(typed)
    assert 1 <= len(suggestions) <= 3
    assert suggestions[0].name_en == first
    assert len(set(suggestions)) == len(suggestions)


def test_suggestions_respect_limit_and_nonsense(gaz: Gazetteer) -> None:
    assert len(gaz.suggest("Ново", limit=2)) == 2
    assert gaz.suggest("qqqqqqqqqq") == []
    assert gaz.suggest("") == []


# -- points ------------------------------------------------------------------------


def test_nearest_to_central_moscow(gaz: Gazetteer) -> None:
    city = gaz.nearest(55.751, 37.618)  # the Kremlin
    assert (city.name_en, city.region) == ("Moscow", "RU-MOW")


def test_nearest_near_kursk(gaz: Gazetteer) -> None:
    assert gaz.nearest(51.68, 36.05).region == "RU-KRS"


def test_a_point_in_paris_is_outside_the_area(gaz: Gazetteer) -> None:
    with pytest.raises(UnknownPlace) as err:
        gaz.nearest(48.8566, 2.3522)
    assert err.value.field == "location"


@pytest.mark.parametrize(
    ("lat", "lon"), [(91.0, 37.0), (55.0, 181.0), (math.nan, 37.0), (55.0, math.inf), (True, 37.0)]
)
def test_an_invalid_point_is_refused(gaz: Gazetteer, lat: float, lon: float) -> None:
    with pytest.raises(UnknownPlace) as err:
        gaz.nearest(lat, lon)
    assert err.value.field == "location"


def test_nearest_honours_max_km(gaz: Gazetteer) -> None:
    point = (56.2, 37.6)  # open country north of Moscow, some 26 km from Pushkino
    assert gaz.nearest(*point).region in {"RU-MOS", "RU-MOW"}
    with pytest.raises(UnknownPlace):
        gaz.nearest(*point, max_km=1)


# -- regions -----------------------------------------------------------------------


def test_region_code_is_case_insensitive(gaz: Gazetteer) -> None:
    assert gaz.region("ru-mow") == gaz.region("RU-MOW")
    assert gaz.region("ru-mow").name_en == "Moscow"
    assert gaz.has_region("ru-spe")
    assert not gaz.has_region("RU-XXX")


def test_unknown_region_raises(gaz: Gazetteer) -> None:
    with pytest.raises(UnknownPlace) as err:
        gaz.region("RU-XXX")
    assert err.value.field == "region"
    assert "RU-XXX" in err.value.message


def test_region_names(gaz: Gazetteer) -> None:
    assert gaz.name("RU-SVE", "ru") == "Свердловская область"
    assert gaz.name("RU-SVE", "en") == "Sverdlovsk Oblast"
    with pytest.raises(ValueError):
        gaz.name("RU-SVE", "de")


# -- resolve -----------------------------------------------------------------------


def test_resolve_region_alone(gaz: Gazetteer) -> None:
    assert gaz.resolve(region="ru-krs") == Place("RU-KRS", None)


def test_resolve_city(gaz: Gazetteer) -> None:
    assert gaz.resolve(city="Екатеринбург") == Place("RU-SVE", "Yekaterinburg")
    assert gaz.resolve(region="RU-SVE", city="Ekaterinburg") == Place("RU-SVE", "Yekaterinburg")


def test_resolve_point(gaz: Gazetteer) -> None:
    assert gaz.resolve(lat=55.03, lon=82.92) == Place("RU-NVS", "Novosibirsk")


def test_resolve_city_wins_over_a_point_within_its_reach(gaz: Gazetteer) -> None:
    # A phone's fix on the outskirts, 20 km from the centre: the typed city stands.
    assert gaz.resolve(city="Kursk", lat=51.73 + 0.18, lon=36.19) == Place("RU-KRS", "Kursk")


def test_a_point_far_from_the_named_city_is_refused_naming_both(gaz: Gazetteer) -> None:
    with pytest.raises(UnknownPlace) as err:
        gaz.resolve(city="Москва", lat=55.03, lon=82.92)  # a point in Novosibirsk
    assert err.value.field == "location"
    assert "Moscow" in err.value.message and "Novosibirsk" in err.value.message


@pytest.mark.parametrize(
    ("typed", "city"),
    [("Нск", "Novosibirsk"), ("Екб", "Yekaterinburg"), ("Питер", "Saint Petersburg"), ("СПб", "Saint Petersburg"),
     ("спб", "Saint Petersburg"), ("Мск", "Moscow"), ("Н.Новгород", "Nizhny Novgorod"), ("Новосиб", "Novosibirsk")],
)
def test_local_short_names_are_aliases(gaz: Gazetteer, typed: str, city: str) -> None:
    assert gaz.resolve(city=typed).city == city


def test_suggestions_are_only_close_spellings_never_another_town(gaz: Gazetteer) -> None:
    # "Пущино" is a town of its own, two edits from Pushkino: suggesting it would misfile a report.
    assert gaz.suggest("Пущино") == []
    assert "Kansk" not in [c.name_en for c in gaz.suggest("Нск")]
    with pytest.raises(UnknownPlace) as err:
        gaz.resolve(city="Пущино")
    assert "did you mean" not in err.value.message.lower()
    assert "give the region" in err.value.message and "or a point instead" in err.value.message
    # Equally close spellings: the larger city first.
    assert [c.name_en for c in gaz.suggest("Krasnojarsk")][0] == "Krasnoyarsk"


def test_resolve_needs_something(gaz: Gazetteer) -> None:
    with pytest.raises(UnknownPlace) as err:
        gaz.resolve()
    assert err.value.field is None
    assert err.value.message


def test_resolve_city_in_another_region(gaz: Gazetteer) -> None:
    with pytest.raises(UnknownPlace) as err:
        gaz.resolve(region="RU-MOW", city="Новосибирск")
    assert err.value.field == "city"
    assert "RU-NVS" in err.value.message


def test_resolve_unknown_city_suggests(gaz: Gazetteer) -> None:
    with pytest.raises(UnknownPlace) as err:
        gaz.resolve(city="Новосибирскк")
    assert err.value.field == "city"
    assert "did you mean" in err.value.message.lower()
    assert "Новосибирск" in err.value.message


def test_resolve_unknown_region(gaz: Gazetteer) -> None:
    with pytest.raises(UnknownPlace) as err:
        gaz.resolve(region="XX", city="Moscow")
    assert err.value.field == "region"


def test_resolve_half_a_point_is_refused(gaz: Gazetteer) -> None:
    with pytest.raises(UnknownPlace) as err:
        gaz.resolve(lat=55.75)
    assert err.value.field == "location"


def test_resolve_region_and_point_keeps_the_region(gaz: Gazetteer) -> None:
    assert gaz.resolve(region="RU-MOW", lat=55.751, lon=37.618) == Place("RU-MOW", "Moscow")
    # A point just across the border: the named region stands, the city is not guessed.
    assert gaz.resolve(region="RU-MOS", lat=55.751, lon=37.618) == Place("RU-MOS", None)


# -- time --------------------------------------------------------------------------


def test_local_date_follows_the_region(gaz: Gazetteer) -> None:
    instant = datetime(2026, 3, 1, 17, 30, tzinfo=UTC)
    assert gaz.local_date(instant, "RU-NVS") == date(2026, 3, 2)  # UTC+7
    assert gaz.local_date(instant, "RU-MOW") == date(2026, 3, 1)  # UTC+3
    assert gaz.local_date(instant, "RU-KGD") == date(2026, 3, 1)  # UTC+2


def test_local_date_refuses_a_naive_instant(gaz: Gazetteer) -> None:
    with pytest.raises(ValueError):
        gaz.local_date(datetime(2026, 3, 1, 17, 30), "RU-MOW")


# -- public precision ----------------------------------------------------------------


def test_coarse_snaps_to_about_a_kilometre() -> None:
    lat, lon = 55.75139, 37.61778
    clat, clon = coarse(lat, lon)
    assert clat == 55.75
    assert distance_km(lat, lon, clat, clon) < 1.0
    # Two points a few metres apart share a cell; the cell does not leak the exact point.
    assert coarse(lat + 0.0001, lon + 0.0001) == (clat, clon)


def test_coarse_cells_stay_wide_in_the_north() -> None:
    # At Norilsk 0.01° of longitude is only ~0.37 km; the cell must still be ~1 km wide.
    _, lon1 = coarse(69.35, 88.200)
    _, lon2 = coarse(69.35, 88.215)
    assert lon1 != lon2
    assert distance_km(69.35, lon1, 69.35, lon2) == pytest.approx(1.1, abs=0.1)


def test_coarse_refuses_an_invalid_point() -> None:
    with pytest.raises(UnknownPlace):
        coarse(100.0, 0.0)


def test_value_objects_are_frozen() -> None:
    region = Region("RU-MOW", "Москва", "Moscow", "Europe/Moscow")
    city = City("Москва", "Moscow", "RU-MOW", 55.75, 37.62, 1)
    with pytest.raises(AttributeError):
        region.code = "X"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        city.lat = 0.0  # type: ignore[misc]


def test_gazetteer_refuses_ambiguous_names() -> None:
    moscow = Region("RU-MOW", "Москва", "Moscow", "Europe/Moscow")
    cities = [
        City("Москва", "Moscow", "RU-MOW", 55.75, 37.62, 2),
        City("Зеленоград", "Zelenograd", "RU-MOW", 55.98, 37.18, 1),
    ]
    with pytest.raises(ValueError):
        Gazetteer([moscow], cities, aliases={"Zelenograd": ["Moskva"], "Moscow": ["Moskva"]})
