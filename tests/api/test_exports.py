"""The exports as a journalist opens them: read back with csv and openpyxl, checked against /v1/stats."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date, timedelta

import openpyxl
import pytest
from geojson_pydantic import FeatureCollection

from api.export.rows import COLUMNS, hxl_row
from tests.api.conftest import WHEN, detention, operator, project, settled

pytestmark = pytest.mark.postgres

# The HXL 1.1 hashtag and attribute dictionary (hxlstandard.org/standard/1-1final/dictionary),
# the parts a table of counts by place and day can use.
HXL_HASHTAGS = {
    "access", "activity", "adm1", "adm2", "adm3", "adm4", "adm5", "affected", "beneficiary", "capacity", "cause",
    "channel", "contact", "country", "crisis", "currency", "date", "description", "event", "frequency", "geo",
    "group", "impact", "indicator", "inneed", "item", "loc", "meta", "modality", "need", "operations", "org",
    "output", "population", "reached", "region", "respondee", "sector", "service", "severity", "status",
    "subsector", "targeted", "value",
}
HXL_ATTRIBUTES = {
    "code", "name", "num", "type", "id", "label", "reported", "start", "end", "ind", "hh", "f", "m", "killed",
    "injured", "infected", "displaced", "idps", "refugees", "abducted", "children", "adults", "elderly", "lat",
    "lon", "url", "text", "pct", "total", "origin", "dest",
}
LANGUAGE_ATTRIBUTE = re.compile(r"i_[a-z]{2,3}")  # HXL's +i_xx: the ISO 639 language of a text column
# Attributes of svodka's own (HXL allows them); the methodology page lists them beside their columns.
OUR_ATTRIBUTES = {"detained", "checkpoint", "verified", "unverified", "reports", "as_of", "position", "unit"}
EARLIER = WHEN - timedelta(days=3)
HXL_TAG = re.compile(r"#([a-z][a-z0-9_]*)((?:\+[a-z][a-z0-9_]*)*)")


def seed(http, db, application) -> int:
    for body in (
        detention(city="Москва", detained=12),
        detention(city="Санкт-Петербург", detained=4, description="секрет", location={"lat": 59.9311, "lon": 30.3609}),
        detention(city=None, region="RU-SPE", detained=1),
        detention(city="Екатеринбург", detained=7, occurred_at=EARLIER.isoformat()),
        detention(city="Москва", detained=5, occurred_at=EARLIER.isoformat()),
    ):
        assert http.post("/v1/reports", json=body, headers=operator()).status_code == 201
    return project(db, application)


def test_csv_names_places_in_russian_and_english_with_the_as_of_to_the_second(http, db, application):
    position = seed(http, db, application)
    answer = settled(http, position, "/v1/export.csv")
    assert answer.headers["content-type"].startswith("text/csv")
    assert answer.headers["content-disposition"] == f'attachment; filename="svodka-detention-all-days-asof-{position}.csv"'
    assert answer.headers["link"] == '</methodology>; rel="describedby"'
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert tuple(rows[0]) == COLUMNS
    spb = next(r for r in rows if r["city_name_en"] == "Saint Petersburg")
    assert (spb["region_code"], spb["region_name_ru"], spb["region_name_en"], spb["city_name_ru"]) == (
        "RU-SPE", "Санкт-Петербург", "Saint Petersburg", "Санкт-Петербург")
    assert (spb["kind"], spb["unit"], spb["unverified"], spb["reports"]) == ("detention", "detentions", "4", "1")
    region_only = next(r for r in rows if r["region_code"] == "RU-SPE" and not r["city_name_en"])
    assert region_only["unverified"] == "1" and region_only["city_name_ru"] == ""
    assert all(r["as_of_position"] == str(position) for r in rows)
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", r["as_of_time_utc"]) for r in rows)
    assert all(date.fromisoformat(r["day"]) for r in rows)
    assert "секрет" not in answer.text and "59.9311" not in answer.text
    stats = settled(http, position).json()
    assert re.fullmatch(rf"svodka, detentions all days, as of position {position} \(\d{{4}}-\d\d-\d\d \d\d:\d\d MSK\)",
                        stats["cite"])

    named = http.get("/v1/export.csv", params={"region": "RU-MOW", "from": "2022-09-21", "to": "2022-09-21"})
    assert 'filename="svodka-detention-RU-MOW-2022-09-21-asof-' in named.headers["content-disposition"]
    again = http.get("/v1/export.csv", params={"region": "RU-MOW", "from": "2022-09-21", "to": "2022-09-21"})
    # The second answer comes from the URL cache, before routing: it still names the file.
    assert again.headers["content-disposition"] == named.headers["content-disposition"]


def test_excel_csv_opens_in_a_russian_locale_split_into_columns(http, db, application):
    position = seed(http, db, application)
    plain = settled(http, position, "/v1/export.csv").content
    excel = http.get("/v1/export.csv", params={"excel": 1}).content
    # A byte-order mark (else Excel reads UTF-8 as cp1251) and ";", the list separator of a "," decimal locale.
    assert excel.startswith(b"\xef\xbb\xbf") and b"\r\n" in excel
    text = excel.decode("utf-8-sig")
    assert csv.Sniffer().sniff(text.splitlines()[0], delimiters=",;").delimiter == ";"
    assert list(csv.reader(io.StringIO(text), delimiter=";")) == list(csv.reader(io.StringIO(plain.decode())))


def test_xlsx_reads_back_as_the_same_rows_with_numbers_and_dates(http, db, application):
    position = seed(http, db, application)
    rows = list(csv.reader(io.StringIO(settled(http, position, "/v1/export.csv").text)))
    answer = http.get("/v1/export.xlsx")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert answer.headers["content-disposition"].endswith(f'asof-{position}.xlsx"')
    book = openpyxl.load_workbook(io.BytesIO(answer.content))
    sheet = book["counts"]
    cells = list(sheet.iter_rows(values_only=True))
    assert list(cells[0]) == rows[0]
    for got, expected in zip(cells[1:], rows[1:], strict=True):
        assert got[0].date() == date.fromisoformat(expected[0])  # a date cell, not text
        assert isinstance(got[8], int) and isinstance(got[11], int)  # numbers, not text
        assert [str(v) if v is not None else "" for v in got[1:]] == expected[1:]
    about = dict(book["about"].iter_rows(values_only=True))
    assert about["as_of_position"] == str(position) and about["cite"].startswith("svodka, detentions all days")


@pytest.mark.parametrize("kind", ["detention", "checkpoint"])
def test_hxl_row_uses_hxl_hashtags_and_attributes(kind):
    tags = hxl_row(kind)
    assert len(tags) == len(COLUMNS)
    for tag in tags:
        match = HXL_TAG.fullmatch(tag)
        assert match, tag
        assert match[1] in HXL_HASHTAGS, tag
        for attribute in filter(None, match[2].split("+")):
            assert attribute in HXL_ATTRIBUTES | OUR_ATTRIBUTES or LANGUAGE_ATTRIBUTE.fullmatch(attribute), tag


def test_hxl_row_sits_under_the_header_in_csv_and_xlsx(http, db, application):
    position = seed(http, db, application)
    lines = settled(http, position, "/v1/export.csv", hxl=1).text.splitlines()
    assert lines[0].split(",") == list(COLUMNS) and lines[1].split(",") == list(hxl_row("detention"))
    sheet = openpyxl.load_workbook(io.BytesIO(http.get("/v1/export.xlsx", params={"hxl": 1}).content))["counts"]
    assert list(next(sheet.iter_rows(min_row=2, max_row=2, values_only=True))) == list(hxl_row("detention"))


def test_geojson_per_day_is_valid_with_stable_ids_and_the_default_stays_summed(http, db, application):
    position = seed(http, db, application)
    summed = settled(http, position, "/v1/export.geojson").json()
    per_day = http.get("/v1/export.geojson", params={"per": "day"}).json()
    for document in (summed, per_day):
        FeatureCollection.model_validate(document)  # RFC 7946's structure
        ids = [f["id"] for f in document["features"]]
        assert len(ids) == len(set(ids))
    assert all("day" not in f["properties"] for f in summed["features"])
    days = {f["properties"]["day"] for f in per_day["features"]}
    assert len(days) == 2 and len(per_day["features"]) == len(summed["features"]) + 1
    ekb = [f for f in per_day["features"] if f["properties"]["city"] == "Yekaterinburg"]
    assert {"kind": "detention", "day": application.gazetteer.local_date(EARLIER, "RU-SVE").isoformat(), "verified": 0, "unverified": 7,
            "region_name_ru": "Свердловская область", "city_name_ru": "Екатеринбург"}.items() <= ekb[0]["properties"].items()
    assert ekb[0]["geometry"]["type"] == "Point"
    # The same place and day keeps its id when later reports change the figures.
    assert http.post("/v1/reports", json=detention(city="Москва", detained=2), headers=operator()).status_code == 201
    later = settled(http, project(db, application), "/v1/export.geojson", per="day").json()
    assert {f["id"] for f in later["features"]} == {f["id"] for f in per_day["features"]}
    assert http.get("/v1/export.geojson", params={"per": "week"}).status_code == 422
