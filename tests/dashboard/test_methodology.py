"""The methodology page states the numbers the code applies, in both languages, and /v1/stats cites."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.context import ApiConfig
from api.export.rows import COLUMNS, hxl_row
from api.figures import MEANING, Filter
from api.methodology.cite import cite
from domain.model import CLOCK_SKEW, MAX_DETAINED, MIN_DETAINED
from domain.places import Gazetteer
from infra.bootstrap import build_application
from infra.crypto import MemoryKeyStore
from projections.fold import FLOOD_LIMIT
from projections.queries import AsOf
from tests.api.test_exports import OUR_ATTRIBUTES

TTL = timedelta(minutes=95)  # not the default, so the page must read the configured one


class Constants(HTMLParser):
    """Every <data data-constant=name value=...> on a page."""

    def __init__(self) -> None:
        super().__init__()
        self.found: dict[str, set[str]] = {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "data" and "data-constant" in attrs:
            self.found.setdefault(attrs["data-constant"], set()).add(attrs["value"])


@pytest.fixture
def client(keys):
    application = build_application(keys, None, MemoryKeyStore())
    # No lifespan: the page needs no database, only the configuration.
    app = create_app(ApiConfig(database_url="postgresql://unused", schema="unused", application=application,
                               checkpoint_ttl=TTL))
    yield TestClient(app)
    application.close()


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_numbers_on_the_page_are_the_codes_constants(client, lang):
    answer = client.get("/methodology", params={"lang": lang})
    assert answer.status_code == 200 and f'<html lang="{lang}">' in answer.text
    assert "default-src 'none'" in answer.headers["content-security-policy"]
    parser = Constants()
    parser.feed(answer.text)
    gazetteer = Gazetteer.default()
    expected = {
        "flood_limit": FLOOD_LIMIT,
        "min_detained": MIN_DETAINED,
        "max_detained": MAX_DETAINED,
        "clock_skew_minutes": CLOCK_SKEW.total_seconds() / 60,
        "checkpoint_ttl_minutes": TTL.total_seconds() / 60,
        "grid_km": 1.1,  # 0.01° of latitude, the grid domain.places.coarse snaps checkpoints to
        "regions": len(gazetteer.regions),
        "cities": len(gazetteer.cities),
        "time_zones": len({r.timezone for r in gazetteer.regions}),
    }
    assert set(parser.found) == set(expected)
    for name, value in expected.items():
        assert {float(v) for v in parser.found[name]} == {float(value)}, name
    # Every section the issue asks for, and the ready citation.
    for anchor in ("counted", "verified", "duplicates", "flood", "blocks", "days", "as-of", "precision", "crimea",
                   "cite", "files"):
        assert f'<section id="{anchor}">' in answer.text
    assert "svodka, detentions 21 Sep 2022, as of position 1234 (2022-09-21 23:00 MSK)" in answer.text
    assert "UA-43" in answer.text and "UA-40" in answer.text
    # The files' columns and their HXL hashtags, as the exports write them.
    for column, tag in zip(COLUMNS, hxl_row("detention"), strict=True):
        assert f"<code>{column}</code></th><td><code>{tag}</code>" in answer.text
    for attribute in OUR_ATTRIBUTES:
        assert f"<code>+{attribute}</code>" in answer.text


def test_the_api_says_the_same_flood_limit():
    # api/figures.py words the rule beside every figure; it must not say another number.
    for _, meaning in MEANING.values():
        assert f"beyond {FLOOD_LIMIT} reports an hour" in meaning


def test_language_follows_the_browser(client):
    assert '<html lang="en">' in client.get("/methodology", headers={"Accept-Language": "en-GB"}).text
    assert '<html lang="ru">' in client.get("/methodology").text


@pytest.mark.parametrize(("start", "end", "place", "expected"), [
    (date(2022, 9, 21), date(2022, 9, 21), {}, "svodka, detentions 21 Sep 2022, as of position 7 (2022-09-21 23:00 MSK)"),
    (date(2022, 9, 21), date(2022, 9, 28), {"region": "RU-SPE"},
     "svodka, detentions in Saint Petersburg 21–28 Sep 2022, as of position 7 (2022-09-21 23:00 MSK)"),
    (date(2022, 9, 30), date(2022, 10, 2), {"region": "RU-SVE", "city": "Yekaterinburg"},
     "svodka, detentions in Yekaterinburg 30 Sep – 2 Oct 2022, as of position 7 (2022-09-21 23:00 MSK)"),
    (None, None, {}, "svodka, detentions all days, as of position 7 (2022-09-21 23:00 MSK)"),
])
def test_cite_names_what_when_where_and_the_as_of(start, end, place, expected):
    figures = Filter("detention", start, end, place.get("region"), place.get("city"), None)
    as_of = AsOf(7, datetime(2022, 9, 21, 20, 0, 59, 999, tzinfo=timezone.utc))
    assert cite(figures, as_of, Gazetteer.default()) == expected
    assert re.search(r"position 0 \(no events yet\)", cite(figures, AsOf(0, None), Gazetteer.default()))
