"""The page's pieces without a server: language choice, form parsing, chart scale, escaping."""

from __future__ import annotations

from datetime import date, datetime, timezone
from uuid import uuid4

import pytest

from api.dashboard.chart import Bar, nice_ceiling, timeline_svg
from api.dashboard.data import Figures
from api.dashboard.i18n import negotiate
from api.dashboard.render import render_page
from api.dashboard.view import parse_view
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
