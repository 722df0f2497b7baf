"""The moderator's queue over HTTP: filters and counts, rows with what only moderators see, and
similar reports; the browser tests (test_browser.py) drive the same pages by clicks and keys."""

from __future__ import annotations

import html
from datetime import datetime, timedelta, timezone

from domain.application import NewReport
from tests.console.conftest import project, sign_in

WHEN = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(hours=1)


def submit(application, ref: str, **fields) -> str:
    fields.setdefault("kind", "detention")
    fields.setdefault("occurred_at", WHEN)
    fields.setdefault("reporter", ref.ljust(64, "0")[:64])
    return str(application.submit(NewReport(channel="test", client_ref=ref, **fields)).id)


def test_the_queue_filters_by_city_with_counts_and_shows_what_moderators_see(serve, db, pg_app):
    kazan = [submit(pg_app, f"k{i}", city="Казань", detained=3 + i, description=f"у метро {i}") for i in range(3)]
    moscow = submit(pg_app, "m1", city="Москва", detained=2, description='<script>alert("x")</script>',
                    lat=55.7558, lon=37.6173)
    project(db, pg_app)
    api = serve()
    sign_in(api.client)

    page = api.client.get("/console/queue")
    assert page.status_code == 200
    assert all(rid in page.text for rid in [*kazan, moscow])
    assert "Казань (3)" in page.text and "Москва (1)" in page.text  # counts per filter value
    assert '<script>alert("x")</script>' not in page.text  # a hostile description is text
    assert html.escape('<script>alert("x")</script>', quote=False) in page.text.replace("&#34;", '"')
    assert "55.75580, 37.61730" in page.text  # the precise point, for moderators
    assert "UTC+03:00" in page.text

    kazan_only = api.client.get("/console/queue", params={"city": "Kazan"})
    assert kazan_only.status_code == 200
    assert all(rid in kazan_only.text for rid in kazan) and moscow not in kazan_only.text
    assert "у метро 1" in kazan_only.text
    # Each Kazan report has the other two as suggestions, the closest count first.
    first = kazan_only.text.split(f'id="r-{kazan[0]}"')[1].split('class="row"')[0]
    assert first.index(kazan[1]) < first.index(kazan[2])

    assert api.client.get("/console/queue", params={"status": "nonsense"}).status_code == 400
    assert api.client.get("/console/queue", params={"day": "yesterday"}).status_code == 400


def test_a_hostile_filter_value_is_shown_as_text(serve):
    api = serve()
    sign_in(api.client)
    page = api.client.get("/console/queue", params={"city": '"><script>alert(1)</script>', "region": "<b>x</b>"})
    assert page.status_code == 200
    assert "<script>alert(1)</script>" not in page.text and "<b>x</b>" not in page.text
