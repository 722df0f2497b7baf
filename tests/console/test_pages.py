"""The report page, a correction in the place's local time, and the signals page, over HTTP."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID
from zoneinfo import ZoneInfo

from tests.console.conftest import folded
from tests.console.test_decisions import _moderator
from tests.console.test_queue import submit


def test_a_correction_reads_the_time_in_the_places_zone_and_the_history_shows_it(serve, db, pg_app, live):
    rid = submit(pg_app, "p1", city="Новосибирск", detained=2, description="у вокзала")
    folded(db, pg_app, rid)
    api = serve()
    anna, csrf = _moderator(api)
    page = anna.get(f"/console/reports/{rid}")
    assert page.status_code == 200 and "у вокзала" in page.text and "UTC+07:00" in page.text
    corrected = anna.post(f"/console/reports/{rid}/correct", data={
        "csrf": csrf, "version": "1", "reason": "the caller said five", "detained": "5",
        "occurred_at": "2026-11-20T19:40"})
    assert corrected.status_code == 303
    report = pg_app.report(UUID(rid))
    assert report.detained == 5
    assert report.occurred_at == datetime(2026, 11, 20, 19, 40, tzinfo=ZoneInfo("Asia/Novosibirsk"))
    history = anna.get(f"/console/reports/{rid}").text
    assert "the caller said five" in history and "anna" in history
    bad = anna.post(f"/console/reports/{rid}/correct", data={
        "csrf": csrf, "version": "2", "reason": "x", "detained": "many"})
    assert bad.status_code == 422 and pg_app.report(UUID(rid)).version == 2


def test_the_signals_page_shows_a_flood_and_the_report_page_its_figures(serve, db, pg_app, live):
    flooder = "f" * 64
    ids = [submit(pg_app, f"fl{i}", city="Казань", detained=1, reporter=flooder, description=f"копия {i}")
           for i in range(6)]
    folded(db, pg_app, *ids)
    ref = pg_app.report(UUID(ids[0])).reporter
    api = serve()
    anna, _ = _moderator(api)
    signals = anna.get("/console/signals")
    assert signals.status_code == 200 and f"/console/reporters/{ref}/block" in signals.text
    assert '<td class="flag">6</td>' in signals.text
    flooding = anna.get("/console/queue", params={"flood": "yes"})
    assert all(rid in flooding.text for rid in ids)
    report = anna.get(f"/console/reports/{ids[0]}")
    assert "6" in report.text.split("Больше всего за час")[1][:80]
    assert flooder not in report.text and flooder not in signals.text  # a pseudonym's reference, never its source
    assert anna.get("/console/reporters/not-a-reference/forget").status_code == 404


def test_the_language_switch_is_kept(serve):
    api = serve()
    english = api.client.get("/console", params={"lang": "en"})
    assert "Sign in to the console" in english.text
    assert "Sign in to the console" in api.client.get("/console").text  # the choice is remembered
