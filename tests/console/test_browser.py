"""The moderator's console in headless Chromium (Debian's), driven by real clicks and key presses,
against the real app, PostgreSQL, Redis and a live projector."""

from __future__ import annotations

import logging
import os
import re
import time
from pathlib import Path
from urllib.parse import urlsplit
from uuid import UUID

import httpx
import pytest
from playwright.sync_api import expect

from tests.console.conftest import MODERATOR, SECOND_MODERATOR, folded
from tests.console.test_queue import submit
from tests.dashboard.conftest import browser  # noqa: F401 - the module's Chromium

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

DOCS = Path(__file__).resolve().parents[2] / "docs"
HOSTILE = '<script>window.pwned = 1</script><img src="https://evil.example/x.png">'
WITNESS = "Задержали у метро Кремлёвская, свидетель {}"
expect.set_options(timeout=30_000)  # a loaded CI machine; expect() returns as soon as the page matches


@pytest.fixture
def store() -> str:
    return "redis"  # sessions as in a production with Redis; tests/console/test_sessions.py covers both


@pytest.fixture
def context(browser):  # noqa: F811
    ctx = browser.new_context(locale="ru-RU", viewport={"width": 1280, "height": 900})
    yield ctx
    ctx.close()


def sign_in(context, url: str, token: str = MODERATOR):
    page = context.new_page()
    page.goto(url + "/console")
    page.fill("#token", token)
    page.locator("form.signin button").click()
    expect(page).to_have_url(url + "/console/queue")
    return page


def rows(page):
    return page.locator(".queue .row")


def verified_in_kazan(url: str) -> int:
    answer = httpx.get(url + "/v1/stats", params={"city": "Kazan"}, timeout=30)
    return answer.json()["total"]["verified"]


def test_a_moderator_filters_merges_three_witnesses_verifies_and_reopens(serve, db, pg_app, live, context, caplog):
    caplog.set_level(logging.DEBUG)
    kazan = [submit(pg_app, f"k{i}", city="Казань", detained=n, description=WITNESS.format(i))
             for i, n in enumerate((3, 3, 4))]
    moscow = submit(pg_app, "m1", city="Москва", detained=1, description=HOSTILE)
    rejected = submit(pg_app, "x1", city="Казань", detained=5, description="позвонили повторно")
    pg_app.reject(UUID(rejected), moderator="boris", reason="could not confirm", expected_version=1)
    folded(db, pg_app, *kazan, moscow, rejected)
    api = serve()
    requested: list[str] = []
    context.on("request", lambda request: requested.append(request.url))

    page = sign_in(context, api.url)
    expect(page.locator("#who")).to_contain_text("anna")
    # A hostile description is shown as the text it is, and runs nothing.
    expect(page.locator(f"#r-{moscow} .description")).to_have_text(HOSTILE)
    assert page.evaluate("window.pwned") is None

    page.select_option("select[name=city]", "Kazan")
    page.locator("#filters button").click()
    expect(rows(page)).to_have_count(3)
    expect(page.locator("#found")).to_contain_text("3")
    assert verified_in_kazan(api.url) == 0

    # The second witness: one click on the first report among its suggestions.
    page.locator(f"#r-{kazan[1]} .similar li", has=page.locator(f"a[href='/console/reports/{kazan[0]}']")) \
        .get_by_role("button").click()
    expect(rows(page)).to_have_count(2)
    # The third by keyboard: j to its row, d for a duplicate of its top suggestion (the first report).
    page.keyboard.press("j")
    expect(page.locator(f"#r-{kazan[2]}")).to_have_class(re.compile("current"))
    page.keyboard.press("d")
    expect(rows(page)).to_have_count(1)
    page.keyboard.press("v")  # the group's root, now the only row
    expect(rows(page)).to_have_count(0)
    root = pg_app.report(UUID(kazan[0]))
    assert root.status.value == "verified" and {str(d) for d in root.duplicates} == set(kazan[1:])
    assert {pg_app.history(UUID(r))[-1].by for r in kazan} == {"anna"}
    deadline = time.monotonic() + 30
    while verified_in_kazan(api.url) != 3:  # the dashboard's figures follow: one group, counted once
        assert time.monotonic() < deadline, "the figures did not follow the decision"
        time.sleep(0.1)

    page.select_option("select[name=status]", "rejected")
    page.locator("#filters button").click()
    expect(rows(page)).to_have_count(1)
    page.locator(f"#r-{rejected} input[name=reason]").fill("the caller phoned again")
    page.locator(f"#r-{rejected} form[action$=reopen] button").click()
    expect(rows(page)).to_have_count(0)
    assert pg_app.report(UUID(rejected)).status.value == "unreviewed"

    page.goto(f"{api.url}/console/reports/{kazan[0]}")
    expect(page.locator("table.changes")).to_contain_text("проверено")
    expect(page.locator("table.changes")).to_contain_text("anna")

    origin = urlsplit(api.url).netloc
    assert not [u for u in requested if not u.startswith("data:") and urlsplit(u).netloc != origin]
    addresses = page.eval_on_selector_all("[src], [href], [action]", """els => els.map(
        e => e.src || e.href || e.action).filter(u => typeof u === "string")""")
    assert addresses and all(u.startswith(api.url) or u.startswith("data:") for u in addresses)
    # Neither the token nor any description reaches a log line, nor a record's extra fields.
    logged = caplog.text + "".join(repr(vars(r)) for r in caplog.records)
    for secret in (MODERATOR, HOSTILE, "Кремлёвская", "позвонили"):
        assert secret not in logged


def test_two_moderators_decide_the_same_report_at_once_and_one_sees_the_conflict(serve, db, pg_app, live, browser):  # noqa: F811
    rid = submit(pg_app, "c1", city="Казань", detained=2)
    folded(db, pg_app, rid)
    api = serve()
    anna_context, boris_context = browser.new_context(locale="en-US"), browser.new_context(locale="en-US")
    try:
        anna, boris = sign_in(anna_context, api.url), sign_in(boris_context, api.url, SECOND_MODERATOR)
        expect(anna.locator(f"#r-{rid}")).to_be_visible()
        expect(boris.locator(f"#r-{rid}")).to_be_visible()  # both have version 1 on screen
        anna.locator(f"#r-{rid} form[action$=verify] button").click()
        expect(rows(anna)).to_have_count(0)
        boris.locator(f"#r-{rid} input[name=reason]").fill("looks staged")
        boris.locator(f"#r-{rid} form[action$=reject] button").click()
        expect(boris.locator("#conflict")).to_contain_text("version 2")
        expect(boris.locator("table.changes")).to_contain_text("anna")
        expect(boris.locator("table.changes")).to_contain_text("verified")
        assert pg_app.report(UUID(rid)).status.value == "verified"
    finally:
        anna_context.close()
        boris_context.close()


def test_the_cookie_and_a_forged_form(serve, db, pg_app, live, context):
    rid = submit(pg_app, "f1", city="Казань", detained=2)
    folded(db, pg_app, rid)
    api = serve()
    page = sign_in(context, api.url)
    cookie = next(c for c in context.cookies() if c["name"] == "svodka_console")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["path"] == "/console"
    assert not cookie["secure"] and MODERATOR not in cookie["value"]  # plain http here; https: test_sessions.py
    assert "svodka_console" not in page.evaluate("document.cookie")  # no script can read it
    page.eval_on_selector(f"#r-{rid} form[action$=verify] input[name=csrf]", "e => e.value = 'forged'")
    page.locator(f"#r-{rid} form[action$=verify] button").click()
    expect(page.locator("h1")).to_have_text("Не получилось")
    expect(page.locator(".notice")).to_contain_text("ничего не изменено")
    assert pg_app.report(UUID(rid)).version == 1


def test_screenshots_at_desktop_and_phone_width(serve, db, pg_app, live, context, tmp_path):
    # Written to docs/ only when asked: SVODKA_UPDATE_SCREENSHOTS=1 pytest tests/console -k screenshots
    folder = DOCS if os.environ.get("SVODKA_UPDATE_SCREENSHOTS") == "1" else tmp_path
    ids = [submit(pg_app, f"s{i}", city=city, detained=n, description=WITNESS.format(i))
           for i, (city, n) in enumerate((("Казань", 3), ("Казань", 4), ("Москва", 12), ("Казань", 3)))]
    folded(db, pg_app, *ids)
    api = serve()
    page = sign_in(context, api.url)
    page.get_by_role("link", name="English").click()
    expect(page.locator("h1")).to_have_text("Moderation queue")
    for width in (1280, 360):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(api.url + "/console/queue")
        expect(rows(page)).to_have_count(4)
        assert page.evaluate("document.documentElement.scrollWidth") <= width  # no sideways scrolling
        page.screenshot(path=str(folder / f"console-queue-{width}.png"), full_page=True)
        assert (folder / f"console-queue-{width}.png").stat().st_size > 10_000
    # r: to the current row's reject reason, where keys are typing, not shortcuts; Escape leaves it.
    page.keyboard.press("r")
    reason = page.locator(".queue .row.current [data-key=r]")
    expect(reason).to_be_focused()
    page.keyboard.press("o")
    expect(reason).to_have_value("o")
    page.keyboard.press("Escape")
    current = page.locator(".queue .row.current").get_attribute("id").removeprefix("r-")
    page.keyboard.press("o")  # o: open the current row's report
    expect(page).to_have_url(f"{api.url}/console/reports/{current}")
    for width in (1280, 360):
        page.set_viewport_size({"width": width, "height": 900})
        for name, path, title in (("report", f"/console/reports/{current}", "Report"),
                                  ("signals", "/console/signals", "Signals")):
            page.goto(api.url + path)
            expect(page.locator("h1")).to_contain_text(title)
            assert page.evaluate("document.documentElement.scrollWidth") <= width, name
            page.screenshot(path=str(folder / f"console-{name}-{width}.png"), full_page=True)
            assert (folder / f"console-{name}-{width}.png").stat().st_size > 10_000


def test_the_queue_offers_a_reload_when_new_reports_arrive(serve, db, pg_app, live, context):
    first = submit(pg_app, "n1", city="Казань", detained=2)
    folded(db, pg_app, first)
    api = serve()
    context.clock.install()  # timers on a fake clock; the fetches themselves are real
    page = sign_in(context, api.url)
    expect(rows(page)).to_have_count(1)
    with page.expect_request("**/console/queue/total?**"):
        page.clock.run_for(30_500)
    expect(page.locator("#fresh")).to_be_hidden()  # nothing new yet
    folded(db, pg_app, submit(pg_app, "n2", city="Казань", detained=3))
    with page.expect_request("**/console/queue/total?**"):
        page.clock.run_for(30_500)
    expect(page.locator("#fresh")).to_be_visible()
    page.locator("#fresh a").click()
    expect(rows(page)).to_have_count(2)
