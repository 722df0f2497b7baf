"""The page's pieces without a server: language choice, form parsing, chart scale, escaping."""

from __future__ import annotations

import json
import re
from markupsafe import escape
from datetime import date, datetime, timezone
from uuid import uuid4
from xml.etree import ElementTree

import pytest

from api.dashboard.chart import Bar, nice_ceiling, timeline_svg
from api.dashboard.choropleth import NO_REPORTS, SHADES, choropleth
from api.dashboard.geometry import geometry
from api.dashboard.data import Figures
from api.dashboard.i18n import negotiate
from api.dashboard.render import render_page
from api.dashboard.view import parse_view
from domain.places import DATA_FILE, Gazetteer
from projections.bulletins import KeptBulletin
from projections.queries import ActiveCheckpoint, AsOf, Group, Stats, Totals

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)  # 15:00 in Moscow


@pytest.mark.parametrize(
    ("requested", "header", "expected"),
    [
        (None, None, "ru"),
        (None, "en-US,en;q=0.9", "en"),
        (None, "de-DE,de;q=0.9,en;q=0.5,ru;q=0.4", "en"),
        (None, "de,ru;q=0.8,en;q=0.9", "en"),
        (None, "en;q=0,ru;q=0.1", "ru"),
        (None, "fr", "ru"),
        ("en", "ru", "en"),
        ("xx", "en", "en"),
    ],
)
def test_language_comes_from_the_parameter_then_accept_language(requested, header, expected):
    assert negotiate(requested, header) == expected


def test_default_period_is_the_last_seven_moscow_days():
    view = parse_view({}, "en", NOW)
    assert (view.date_from, view.date_to) == (date(2026, 11, 19), date(2026, 11, 25))
    assert view.at is None and not view.errors


def test_form_time_is_moscow_time_and_moves_the_default_period():
    view = parse_view({"as_of": "2026-11-20T03:00"}, "ru", NOW)
    assert view.at == datetime(2026, 11, 20, 0, 0, tzinfo=timezone.utc)
    assert view.date_to == date(2026, 11, 20)


def test_a_future_as_of_means_now():
    assert parse_view({"as_of": "2030-01-01T00:00:00+00:00"}, "ru", NOW).at is None


@pytest.mark.parametrize(
    "params",
    [{"from": "yesterday"}, {"from": "2026-11-25", "to": "2026-11-01"}, {"as_of": "soon"}, {"sort": "x"}],
)
def test_bad_input_is_named_and_replaced_by_defaults(params):
    view = parse_view(params, "en", NOW)
    assert view.errors
    assert (view.date_from, view.date_to) == (date(2026, 11, 19), date(2026, 11, 25))


def test_query_links_keep_the_view():
    view = parse_view({"from": "2026-11-01", "to": "2026-11-10", "sort": "region"}, "en", NOW)
    assert view.query(lang="ru") == "?lang=ru&from=2026-11-01&to=2026-11-10&sort=region&order=asc"


@pytest.mark.parametrize(("value", "ceiling"), [(0, 1), (1, 1), (3, 3), (7, 8), (11, 20), (1300, 2000), (2600, 3000)])
def test_axis_maximum_is_round(value, ceiling):
    assert nice_ceiling(value) == ceiling


def test_chart_stacks_unverified_on_verified():
    bars = [Bar(date(2026, 11, 1), 30, 10, "1", "t"), Bar(date(2026, 11, 2), 0, 0, "2", "t")]
    svg = timeline_svg(bars, title="T", desc="D", number=str)
    # max 40 -> axis 40 over 200 units: 150 units verified, 50 unverified above it.
    assert 'height="150.0" fill="#1f4e8c"' in svg
    assert 'y="10.0" width' in svg and 'height="50.0" fill="#c05a12"' in svg
    assert svg.count("<rect") == 2  # an empty day draws no bar, but keeps its slot


def test_every_value_is_escaped():
    as_of = AsOf(3, NOW)
    hostile = "<script>alert(1)</script>"
    stats = Stats(as_of, Totals(1, 0, 1), [Group({"region": hostile}, Totals(1, 0, 1))])
    checkpoint = ActiveCheckpoint(uuid4(), "RU-KRS", hostile, 51.73, 36.19, NOW, NOW, NOW, 1, "unverified")
    view = parse_view({"from": "2026-11-20"}, "en", NOW)
    page = render_page(view, Figures(stats, stats, [checkpoint]), base="", assets={"dashboard.css": "/c", "dashboard.js": "/j"})
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


HOSTILE = 'Москва"/><script>alert(1)</script><path d="M0 0'


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_the_latest_bulletin_is_shown_escaped_with_its_as_of_link(lang):
    stats = Stats(AsOf(9, NOW), Totals(3, 1, 2))
    counts = {"verified": 1, "unverified": 2, "reports": 3}
    figures = {
        "day": "2026-11-25", "zone": "Europe/Moscow", "detentions": counts, "others": counts,
        "cities": [{"city": HOSTILE, **counts}], "checkpoints": [], "checkpoints_at": NOW.isoformat(),
        "dashboard": "https://svodka.example/?as_of=2026-11-25T12:00:00Z&x=<b>", "change": None,
    }  # fmt: skip
    kept = KeptBulletin(uuid4(), 10, NOW, NOW, False, AsOf(9, NOW), figures, None)
    view = parse_view({"from": "2026-11-20"}, lang, NOW)
    page = render_page(view, Figures(stats, stats, [], bulletin=kept), base="/s",
                       assets={"dashboard.css": "/c", "dashboard.js": "/j"})  # fmt: skip
    section = page[page.index('<section id="bulletin"'):page.index("</section>", page.index('<section id="bulletin"'))]
    assert "<script>" not in section and "<b>" not in section
    assert escape(HOSTILE) in section and "x=&lt;b&gt;" in section
    assert ("Сводка на 15:00 MSK" if lang == "ru" else "Bulletin for 15:00 MSK") in section
    assert f'href="/s/?lang={lang}&amp;as_of=2026-11-25T12%3A00%3A00Z"' in section
    assert f'href="/s/v1/bulletins/{kept.id}"' in section


def test_no_bulletin_no_section():
    stats = Stats(AsOf(9, NOW), Totals())
    page = render_page(parse_view({}, "en", NOW), Figures(stats, stats, []), base="",
                       assets={"dashboard.css": "/c", "dashboard.js": "/j"})  # fmt: skip
    assert 'id="bulletin"' not in page


def hostile_gazetteer() -> Gazetteer:
    """The shipped gazetteer with Moscow's region and city renamed to markup."""
    data = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    for region in data["regions"]:
        if region["code"] == "RU-MOW":
            region["name_en"] = region["name_ru"] = HOSTILE
    for city in data["cities"]:
        if city["name_en"] == "Moscow":
            city["name_ru"] = HOSTILE + "&amp;"
    return Gazetteer.from_json(data)


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_a_hostile_place_name_cannot_break_the_map_or_the_tables(lang):
    by_region = Stats(AsOf(3, NOW), Totals(40, 3, 2), [Group({"region": "RU-MOW"}, Totals(40, 3, 2)),
                                                       Group({"region": "<svg onload=x>"}, Totals(1, 0, 1))])
    by_city = Stats(AsOf(3, NOW), Totals(40, 3, 2), [Group({"region": "RU-MOW", "city": "Moscow"}, Totals(40, 3, 2))])
    view = parse_view({"from": "2026-11-20"}, lang, NOW)
    page = render_page(view, Figures(by_region, by_region, [], by_city, by_region), base="",
                       assets={"dashboard.css": "/c", "dashboard.js": "/j"}, gazetteer=hostile_gazetteer())
    assert "<script>" not in page and "<svg onload" not in page
    # The map is well-formed XML whatever the names, and every name is text in a <title>.
    svg = page[page.index('<svg class="choropleth"'):page.index("</svg>", page.index('<svg class="choropleth"')) + 6]
    root = ElementTree.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    areas = root.findall(f"{ns}a")
    assert len(areas) == 85  # every region in the shipped outlines, and nothing injected
    moscow = next(a for a in areas if a.get("data-region") == "RU-MOW")
    assert moscow.find(f"{ns}title").text.startswith(HOSTILE)
    assert len(moscow.findall(f"{ns}path")) == 1
    # The tables too: the hostile names come back as text.
    cities = page[page.index('<section id="cities"'):page.index("</section>", page.index('<section id="cities"'))]
    city = HOSTILE + "&amp;" if lang == "ru" else "Moscow"
    assert f'<td data-value="{escape(HOSTILE.lower())}">{escape(HOSTILE)}</td>' in cities
    assert f">{escape(city)}</a></th>" in cities


def test_map_shades_regions_by_their_detentions_and_marks_the_disputed_ones():
    by_region = Stats(AsOf(3, NOW), Totals(50, 3, 3), [Group({"region": "RU-MOW"}, Totals(40, 3, 2)),
                                                       Group({"region": "RU-NVS"}, Totals(7, 0, 1))])
    view = parse_view({"from": "2026-11-20", "region": "RU-NVS"}, "en", NOW)
    chart = choropleth(view, by_region, Gazetteer.default(), "/base")
    fills = {a.code: a.fill for a in chart.areas}
    assert fills["RU-MOW"] == SHADES[-1] and fills["RU-NVS"] not in (SHADES[-1], NO_REPORTS)
    assert fills["RU-SPE"] == NO_REPORTS
    assert {a.code for a in chart.areas if a.disputed} == {"UA-43", "UA-40"}
    assert [a.code for a in chart.areas if a.selected] == ["RU-NVS"]
    moscow = next(a for a in chart.areas if a.code == "RU-MOW")
    assert moscow.href.startswith("/base/?") and "region=RU-MOW" in moscow.href
    assert moscow.title == "Moscow: verified 40, unverified 3"
    assert [s.label for s in chart.legend] == ["no reports", "1–3", "4–6", "7–20", "21–30", "31–50"]


def test_every_shipped_outline_is_a_gazetteer_region_and_projects_inside_the_frame():
    shape = geometry()
    assert [o.code for o in shape.outlines] == [r.code for r in Gazetteer.default().regions]
    numbers = [int(n) for o in shape.outlines for n in re.findall(r"-?\d+", o.path)]
    assert numbers and all(re.fullmatch(r"(M-?\d+ -?\d+l[-\d ]+z)+", o.path) for o in shape.outlines)
    # Chukotka runs past 180° in the file: projected as it is, it stays inside the frame, at its east end.
    chukotka = next(o for o in shape.outlines if o.code == "RU-CHU")
    start = int(re.match(r"M(\d+)", chukotka.path)[1])
    assert shape.width * 0.8 < start <= shape.width
