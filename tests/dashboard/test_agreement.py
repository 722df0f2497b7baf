"""/v1/stats, the three exports and the dashboard, asked with the same filters, give the same figures."""

from __future__ import annotations

import csv
import io
import re
import time
from collections import Counter
from datetime import datetime, timedelta

import httpx
import openpyxl
import pytest

from api.dashboard.i18n import MOSCOW
from tests.dashboard.test_dashboard import seed

pytestmark = [pytest.mark.postgres, pytest.mark.slow]
FIGURES = ("verified", "unverified", "reports")


def get(site, path: str, **params) -> httpx.Response:
    answer = httpx.get(f"{site.url}{path}", params=params, timeout=20)
    assert answer.status_code == 200, (path, params, answer.text[:300])
    return answer


def from_stats(site, dims: str, **filters) -> dict[tuple, tuple[int, ...]]:
    body = get(site, "/v1/stats", group_by=dims, **filters).json()
    names = dims.split(",")
    out = {}
    for g in body["groups"]:
        key = g["key"] if isinstance(g["key"], dict) else {names[0]: g["key"]}
        out[tuple(key[d] or "" for d in names)] = tuple(g[f] for f in FIGURES)
    return out


def rows_to_cells(rows: list[dict]) -> dict[tuple, tuple[int, ...]]:
    return {(r["day"], r["region_code"], r["city_name_en"]): tuple(int(r[f]) for f in FIGURES) for r in rows}


def from_csv(site, **filters):
    return rows_to_cells(list(csv.DictReader(io.StringIO(get(site, "/v1/export.csv", **filters).text))))


def from_excel_csv(site, **filters):
    text = get(site, "/v1/export.csv", excel=1, **filters).content.decode("utf-8-sig")
    return rows_to_cells(list(csv.DictReader(io.StringIO(text), delimiter=";")))


def from_xlsx(site, **filters):
    sheet = openpyxl.load_workbook(io.BytesIO(get(site, "/v1/export.xlsx", **filters).content))["counts"]
    header, *rows = sheet.iter_rows(values_only=True)
    records = [dict(zip(header, row)) for row in rows]
    for r in records:
        r["day"], r["city_name_en"] = r["day"].date().isoformat(), r["city_name_en"] or ""
    return rows_to_cells(records)


def from_geojson(site, **filters):
    features = get(site, "/v1/export.geojson", per="day", **filters).json()["features"]
    return {(f["properties"]["day"], f["properties"]["region"], f["properties"]["city"] or ""):
            tuple(f["properties"][k] for k in FIGURES) for f in features}


def from_dashboard(site, **filters) -> dict[str, object]:
    html = get(site, "/", lang="en", **filters).text

    def table(section: str, key: str) -> dict[tuple, tuple[int, ...]]:
        part = html[html.index(f'<section id="{section}"'):]
        part = part[:part.index("</section>")]
        out = {}
        for match in re.finditer(rf'<tr {key}(.*?)</tr>', part, re.S):
            values = tuple(int(v) for v in re.findall(r'<td data-value="(\d+)"', match[1])[-3:])
            out[tuple(match[1].split('"')[1].split("/"))] = values
        return out

    headline = tuple(int(re.search(rf'data-figure="{f}" data-value="(\d+)"', html)[1]) for f in FIGURES)
    days = {}
    for match in re.finditer(r'<tr><th scope="row"><time datetime="([\d-]+)">.*?</time></th>(.*?)</tr>', html):
        values = tuple(int(v) for v in re.findall(r'data-value="(\d+)"', match[2]))
        if any(values):
            days[(match[1],)] = values
    return {"total": headline, "day": days, "region": table("regions", 'data-region="[^"]*" data-key='),
            "region,city": table("cities", 'data-city="[^"]*" data-key=')}


def summed(cells: dict[tuple, tuple[int, ...]], *positions: int) -> dict[tuple, tuple[int, ...]]:
    out: dict[tuple, Counter] = {}
    for key, values in cells.items():
        out.setdefault(tuple(key[p] for p in positions), Counter()).update(dict(zip(FIGURES, values)))
    return {k: tuple(c[f] for f in FIGURES) for k, c in out.items()}


def test_stats_exports_and_dashboard_agree_on_every_figure(site):
    seed(site)
    time.sleep(1.1)
    then = datetime.now(MOSCOW).replace(microsecond=0)
    time.sleep(1.1)
    site.submit("msk-late", city="Москва", detained=100, verify=True)
    site.submit("nsk-late", city="Новосибирск", detained=2)
    site.project()
    today = datetime.now(MOSCOW).date()
    period = {"from": (today - timedelta(days=6)).isoformat(), "to": today.isoformat()}
    # The API notices the projection's new position within a fraction of a second.
    deadline = time.monotonic() + 10
    while sum(from_stats(site, "region", **period).get(("RU-MOW",), (0,))) < 140:
        assert time.monotonic() < deadline
        time.sleep(0.05)

    for filters in ({**period}, {**period, "region": "RU-MOW"}, {**period, "city": "Новосибирск"},
                    {**period, "as_of": then.isoformat()}, {"from": "2000-01-01", "to": today.isoformat()}):
        cells = from_stats(site, "day,region,city", **filters)
        assert cells, filters
        for name, exported in (("csv", from_csv(site, **filters)), ("excel csv", from_excel_csv(site, **filters)),
                               ("xlsx", from_xlsx(site, **filters)), ("geojson", from_geojson(site, **filters))):
            assert exported == cells, (name, filters)
        total = get(site, "/v1/stats", **filters).json()["total"]
        assert tuple(total[f] for f in FIGURES) == summed(cells).get((), (0, 0, 0))
        page = from_dashboard(site, **filters) if "2000" not in filters["from"] else None
        if page is None:
            continue  # the dashboard shows at most a year; the API and the files have no such limit
        assert page["total"] == tuple(total[f] for f in FIGURES), filters
        assert page["day"] == summed(cells, 0), filters
        assert page["region"] == summed(cells, 1) == from_stats(site, "region", **filters), filters
        assert page["region,city"] == summed(cells, 1, 2) == from_stats(site, "region,city", **filters), filters
