"""The dashboard in headless Chromium, against the real app and PostgreSQL with known reports."""

from __future__ import annotations

import os
import re
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import expect

from api.dashboard.choropleth import NO_REPORTS
from api.dashboard.i18n import MOSCOW
from tests.dashboard.conftest import _run_async

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

DOCS = Path(__file__).resolve().parents[2] / "docs"
# What the seed below must show for the default period (the last seven Moscow days).
VERIFIED, UNVERIFIED, REPORTS = 47, 15, 4


def seed(site) -> None:
    now = datetime.now(timezone.utc)
    site.submit("msk-verified", city="Москва", detained=40, verify=True)
    site.submit("msk-unverified", city="Москва", detained=3)
    site.submit("spb", city="Санкт-Петербург", detained=12, occurred_at=now - timedelta(days=1))
    site.submit("nsk", city="Новосибирск", detained=7, verify=True, occurred_at=now - timedelta(days=3))
    site.submit("ekb-fake", city="Екатеринбург", detained=500, reject=True)  # rejected: never counts
    site.submit("msk-old", city="Москва", detained=100, verify=True, occurred_at=now - timedelta(days=10))
    site.submit("kursk-cordon", kind="checkpoint", lat=51.7304, lon=36.1926, detained=None)
    site.project()


@pytest.fixture
def seeded(site):
    seed(site)
    return site


def figures(page) -> dict[str, int]:
    return {
        name: int(page.get_attribute(f'[data-figure="{name}"]', "data-value"))
        for name in ("verified", "unverified", "reports")
    }


def region_rows(page) -> list[dict]:
    return page.eval_on_selector_all(
        "#regions tbody tr[data-region]",
        """rows => rows.map(r => ({
            region: r.dataset.region, name: r.cells[0].textContent,
            verified: +r.cells[1].dataset.value, unverified: +r.cells[2].dataset.value,
            reports: +r.cells[3].dataset.value}))""",
    )


def api_stats(site, **params) -> dict:
    today = datetime.now(MOSCOW).date()
    params = {"from": (today - timedelta(days=6)).isoformat(), "to": today.isoformat(), **params}
    response = httpx.get(f"{site.url}/v1/stats", params=params, timeout=10)
    response.raise_for_status()
    return response.json()


def test_headline_and_region_table_match_the_api(seeded, context):
    page = context.new_page()
    page.goto(seeded.url + "/?lang=en")
    api = api_stats(seeded)
    assert figures(page) == {"verified": VERIFIED, "unverified": UNVERIFIED, "reports": REPORTS}
    assert figures(page) == api["total"]
    assert page.text_content('[data-figure="verified"]') == "47"
    assert page.get_attribute("#headline .as-of", "data-position") == str(api["as_of"]["position"])
    assert "not unique people" in page.text_content("#headline")

    by_region = {g["key"]: g for g in api_stats(seeded, group_by="region")["groups"]}
    rows = region_rows(page)
    assert {r["region"] for r in rows} == set(by_region) == {"RU-MOW", "RU-SPE", "RU-NVS"}
    for row in rows:
        assert {k: row[k] for k in ("verified", "unverified", "reports")} == {
            k: by_region[row["region"]][k] for k in ("verified", "unverified", "reports")
        }
    assert [r["name"] for r in rows] == ["Moscow", "Novosibirsk Oblast", "Saint Petersburg"]  # verified, desc

    checkpoints = page.locator("#checkpoints li")
    assert checkpoints.count() == 1
    assert "Kursk" in checkpoints.inner_text() and "51.73" in checkpoints.inner_text()
    downloads = page.eval_on_selector_all("#downloads li a", "links => links.map(a => a.href)")
    assert len(downloads) == 6  # CSV, Excel and GeoJSON, for the period and for all days
    for href in downloads:
        assert httpx.get(href, timeout=10).status_code == 200, href


def city_rows(page) -> list[dict]:
    return page.eval_on_selector_all(
        "#cities tbody tr[data-key]",
        """rows => rows.map(r => ({
            key: r.dataset.key, name: r.cells[0].textContent, region: r.cells[1].textContent,
            verified: +r.cells[2].dataset.value, unverified: +r.cells[3].dataset.value,
            reports: +r.cells[4].dataset.value}))""",
    )


def test_map_and_city_table_show_the_apis_figures_and_link_to_each_region(seeded, context):
    page = context.new_page()
    page.goto(seeded.url + "/?lang=en")
    assert page.locator("#map svg.choropleth > a").count() == 85
    shaded = page.eval_on_selector_all("#map svg.choropleth > a", """areas => Object.fromEntries(areas.map(
        a => [a.dataset.region, a.querySelector("path").getAttribute("fill")]))""")
    assert {code for code, fill in shaded.items() if fill != NO_REPORTS} == {"RU-MOW", "RU-SPE", "RU-NVS"}
    assert page.locator("#map [data-region=UA-43] path").count() == 2  # its shade, and the hatching over it

    api = api_stats(seeded, group_by="region,city")
    expected = {f'{g["key"]["region"]}/{g["key"]["city"] or ""}': {k: g[k] for k in ("verified", "unverified", "reports")}
                for g in api["groups"]}
    rows = city_rows(page)
    assert {r["key"]: {k: r[k] for k in ("verified", "unverified", "reports")} for r in rows} == expected
    assert [r["name"] for r in rows] == ["Moscow", "Novosibirsk", "Saint Petersburg"]  # verified, largest first
    page.locator("#cities th[data-sort=city] a").click()
    page.wait_for_url("**csort=city**")
    assert [r["name"] for r in city_rows(page)] == ["Moscow", "Novosibirsk", "Saint Petersburg"]
    page.locator("#cities th[data-sort=city] a").click()
    page.wait_for_url("**corder=desc**")
    assert [r["name"] for r in city_rows(page)] == ["Saint Petersburg", "Novosibirsk", "Moscow"]

    # A region on the map links to that region's figures, the same /v1/stats gives for it.
    page.locator('#map a[data-region="RU-NVS"]').click()
    page.wait_for_url("**region=RU-NVS**")
    assert figures(page) == api_stats(seeded, region="RU-NVS")["total"] == {"verified": 7, "unverified": 0, "reports": 1}
    assert [r["region"] for r in region_rows(page)] == ["RU-NVS"]
    assert page.get_attribute('#map a[data-region="RU-NVS"] path', "stroke-width") == "2"
    assert "Novosibirsk Oblast" in page.text_content(".notice.place")


def test_language_follows_the_browser_and_switches(seeded, browser):
    ctx = browser.new_context(locale="en-US")
    try:
        page = ctx.new_page()
        page.goto(seeded.url + "/")
        assert page.get_attribute("html", "lang") == "en"
        assert "Moscow" in page.text_content("#regions")
        page.get_by_role("link", name="Русский").click()
        page.wait_for_url("**lang=ru**")
        assert page.get_attribute("html", "lang") == "ru"
        assert "Москва" in page.text_content("#regions")
        assert "Считаются задержания, а не уникальные люди." in page.text_content("#headline")
        assert figures(page)["verified"] == VERIFIED
        # The form keeps the language chosen: submitting it stays in Russian.
        page.get_by_role("button", name="Показать").click()
        page.wait_for_load_state()
        assert page.get_attribute("html", "lang") == "ru"
    finally:
        ctx.close()


def test_as_of_shows_the_figures_known_then(site, context):
    seed(site)
    # Event times have a resolution finer than a second; the form sends whole seconds.
    time.sleep(1.1)
    then = datetime.now(MOSCOW).replace(microsecond=0)
    time.sleep(1.1)
    site.submit("msk-late", city="Москва", detained=100, verify=True)
    site.project()

    page = context.new_page()
    page.goto(site.url + "/?lang=en")
    assert figures(page)["verified"] == VERIFIED + 100
    live_position = int(page.get_attribute("#headline .as-of", "data-position"))

    page.get_by_label("As of (Moscow time)").fill(then.strftime("%Y-%m-%dT%H:%M:%S"))
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**as_of=**")
    assert figures(page) == {"verified": VERIFIED, "unverified": UNVERIFIED, "reports": REPORTS}
    assert int(page.get_attribute("#headline .as-of", "data-position")) < live_position
    assert "as known at" in page.text_content(".notice.past")
    # The API's view of the same instant agrees, the exports are for it too, and "now" is one link away.
    assert figures(page) == api_stats(site, as_of=then.isoformat())["total"]
    for href in page.eval_on_selector_all("#downloads li a", "links => links.map(a => a.href)"):
        assert "as_of=" in href and httpx.get(href, timeout=10).status_code == 200, href
    page.get_by_role("link", name="Show the current figures").click()
    page.wait_for_load_state()
    assert figures(page)["verified"] == VERIFIED + 100


def test_screenshots_at_desktop_and_phone_width(seeded, context, tmp_path):
    # docs/ keeps the published pictures; they show the time of the run, so a run rewrites them
    # only when asked to: SVODKA_UPDATE_SCREENSHOTS=1 pytest tests/dashboard -k screenshots
    folder = DOCS if os.environ.get("SVODKA_UPDATE_SCREENSHOTS") == "1" else tmp_path
    page = context.new_page()
    for width in (1280, 360):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(seeded.url + "/?lang=en")
        # Usable on a phone: nothing wider than the screen, so no sideways scrolling of the page.
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        # The map is drawn, as wide as the column, on a phone too.
        box = page.locator("#map svg.choropleth").bounding_box()
        assert box and box["width"] >= min(width, 1100) * 0.8 and box["height"] > box["width"] * 0.4
        page.screenshot(path=str(folder / f"dashboard-{width}.png"), full_page=True)
        assert (folder / f"dashboard-{width}.png").stat().st_size > 10_000
    # Russian headings are the longer ones: the region table still fits a phone without scrolling.
    page.goto(seeded.url + "/?lang=ru")
    assert page.eval_on_selector("#regions .table-wrap", "w => w.scrollWidth <= w.clientWidth")


def test_the_page_asks_no_other_host(seeded, context):
    requested: list[str] = []
    context.on("request", lambda request: requested.append(request.url))
    context.clock.install()  # a fake clock makes the 30 s refresh happen now
    page = context.new_page()
    response = page.goto(seeded.url + "/")
    assert "default-src 'none'" in response.headers["content-security-policy"]
    with page.expect_request("**/v1/stats?**"):
        page.clock.run_for(30_500)
    origin = urlsplit(seeded.url).netloc
    foreign = [u for u in requested if not u.startswith("data:") and urlsplit(u).netloc != origin]
    assert not foreign
    # And nothing in the markup points elsewhere, so the test does not rest on the CSP alone.
    addresses = page.eval_on_selector_all("[src], [href], [action]", """els => els.map(
        e => e.src || e.href || e.action).filter(u => typeof u === "string")""")
    assert addresses and all(u.startswith(seeded.url) or u.startswith("data:") for u in addresses)
    assert any("/dashboard/assets/dashboard.css" in u for u in requested)


def test_refresh_costs_a_304_until_the_figures_change(seeded, context):
    context.clock.install()  # timers on a fake clock; the fetches themselves are real
    page = context.new_page()
    page.goto(seeded.url + "/?lang=en")
    answers = []
    for _ in range(2):
        with page.expect_response("**/v1/stats?**") as answer:
            page.clock.run_for(30_500)
        answers.append(answer.value)
    assert [a.status for a in answers] == [200, 304]
    assert answers[1].request.headers["if-none-match"] == answers[0].headers["etag"]

    seeded.submit("msk-new", city="Москва", detained=5, verify=True)
    seeded.project()
    # The API notices a new projection position within a fraction of a second; wait until it has.
    shown = int(page.get_attribute("#main", "data-position"))
    deadline = time.monotonic() + 10
    while api_stats(seeded)["as_of"]["position"] == shown:
        assert time.monotonic() < deadline, "the API never saw the new position"
        time.sleep(0.05)
    page.clock.run_for(30_500)
    # Retried from the test's side: page-side polling would wait on the page's stopped clock.
    expect(page.locator('[data-figure="verified"]')).to_have_attribute("data-value", str(VERIFIED + 5))
    expect(page.locator("#live-status")).to_have_text("The figures were updated.")


def test_sorting_in_place_and_without_javascript(seeded, browser):
    for javascript in (True, False):
        ctx = browser.new_context(locale="en-US", java_script_enabled=javascript)
        try:
            page = ctx.new_page()
            page.goto(seeded.url + "/")
            page.locator("#regions th[data-sort=region] a").click()
            page.wait_for_url("**sort=region**")
            names = [r["name"] for r in region_rows(page)]
            assert names == sorted(names)
            assert page.get_attribute("#regions th[data-sort=region]", "aria-sort") == "ascending"
            page.locator("#regions th[data-sort=region] a").click()
            page.wait_for_url("**order=desc**")
            assert [r["name"] for r in region_rows(page)] == sorted(names, reverse=True)
        finally:
            ctx.close()


def test_numbers_are_in_the_html_with_javascript_off(seeded, browser):
    ctx = browser.new_context(locale="en-US", java_script_enabled=False)
    try:
        page = ctx.new_page()
        page.goto(seeded.url + "/")
        assert page.text_content('[data-figure="verified"]') == "47"
        assert page.text_content('[data-figure="unverified"]') == "15"
        assert len(region_rows(page)) == 3
        assert page.locator("svg.timeline g.bar").count() == 7
        assert page.locator("#timeline details tbody tr").count() == 7
    finally:
        ctx.close()


CONTRAST = """() => {
  const rgb = s => (s.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => [r, g, b].map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; })
      .reduce((a, v, i) => a + v * [0.2126, 0.7152, 0.0722][i], 0);
  const background = el => {
    for (; el; el = el.parentElement) {
      const c = rgb(getComputedStyle(el).backgroundColor);
      if (c.length < 4 || c[3] > 0) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const worst = [];
  for (const el of document.querySelectorAll("body *")) {
    const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    if (!own || el.closest("svg") || !el.getClientRects().length) continue;
    const [a, b] = [lum(rgb(getComputedStyle(el).color)), lum(background(el))];
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    if (ratio < 4.5) worst.push([el.tagName, el.textContent.trim().slice(0, 30), ratio.toFixed(2)]);
  }
  return worst;
}"""


def test_text_contrast_and_labels(seeded, context):
    page = context.new_page()
    page.goto(seeded.url + "/")
    assert page.evaluate(CONTRAST) == []
    # Every control has a label, every table a caption, and headers say what they head.
    assert page.evaluate(
        "[...document.querySelectorAll('input:not([type=hidden])')].every(i => i.labels.length === 1)"
    )
    assert page.evaluate("[...document.querySelectorAll('table')].every(t => t.caption)")
    assert page.evaluate("[...document.querySelectorAll('th')].every(th => th.scope)")
    assert page.locator("header").count() == 1 and page.locator("main").count() == 1


def test_before_any_event_the_page_says_position_zero(site):
    # No projection has run: no read-model tables at all, as on a first start.
    response = httpx.get(site.url + "/?lang=en", timeout=10)
    assert response.status_code == 200
    assert "No events yet (event log position 0)" in response.text
    assert "No active checkpoints." in response.text


def test_bad_form_input_is_reported_on_the_page(site):
    response = httpx.get(site.url + "/", params={"lang": "en", "from": "last week"}, timeout=10)
    assert response.status_code == 400
    assert 'role="alert"' in response.text and "Could not read: from." in response.text
    assert 'data-figure="verified"' in response.text  # the defaults are still shown


@pytest.mark.parametrize("config_overrides", [{"checkpoint_ttl": timedelta(minutes=7)}])
def test_checkpoints_expire_after_the_configured_time_as_in_the_api(site, config_overrides):
    # Seen just now: a checkpoint lives from its sighting, so one seen an hour ago would be history.
    site.submit("cordon", kind="checkpoint", lat=51.7304, lon=36.1926, detained=None,
                occurred_at=datetime.now(timezone.utc))
    site.project()
    page = httpx.get(site.url + "/?lang=en", timeout=10).text
    [listed] = httpx.get(site.url + "/v1/checkpoints", timeout=10).json()["checkpoints"]
    expires = datetime.fromisoformat(listed["expires_at"])
    assert expires - datetime.fromisoformat(listed["last_confirmed_at"]) == timedelta(minutes=7)
    item = page[page.index("<li data-checkpoint=") : page.index("</li>", page.index("<li data-checkpoint="))]
    confirmed, until = (datetime.fromisoformat(t) for t in re.findall(r'<time datetime="([^"]+)"', item))
    assert until == expires and until - confirmed == timedelta(minutes=7)


def test_the_latest_bulletin_shows_and_links_to_the_page_as_of_its_figures(site, context, db):
    seed(site)
    site.project()
    _run_async(lambda: publish_bulletin(site, db))
    site.submit("msk-after", city="Москва", detained=100, verify=True)  # after the bulletin: not in its figures
    site.project()

    page = context.new_page()
    page.goto(site.url + "/?lang=en")
    section = page.locator("#bulletin")
    expect(section.locator("h2")).to_have_text("Latest bulletin")
    assert "Bulletin for" in section.inner_text()
    bid = section.get_attribute("data-bulletin")
    said = httpx.get(f"{site.url}/v1/bulletins/{bid}", timeout=10).json()["text"]["en"]
    assert " ".join(said.split()) in " ".join(section.inner_text().split())  # as posted, line breaks kept
    assert figures(page)["verified"] == VERIFIED + 100
    section.get_by_role("link", name=re.compile("as of the bulletin")).click()
    page.wait_for_url("**as_of=**")
    assert figures(page)["verified"] == VERIFIED  # the figures the bulletin was composed from
    expect(page.locator("#bulletin")).to_have_count(0)  # as known then: it was published after its figures


async def publish_bulletin(site, db) -> None:
    """Record a bulletin due this very minute and let the follower keep it, as svodka serve would."""
    from datetime import time as clock_time

    from domain.bulletin import Schedule
    from infra.scheduler import Scheduler
    from projections import outbox_store
    from projections.outbox import Follower, Outward
    from projections.projector import connect

    class Now:
        def now(self) -> datetime:
            return datetime.now(timezone.utc)

    minute = datetime.now(MOSCOW)
    schedule = Schedule((clock_time(minute.hour, minute.minute),), "Europe/Moscow")
    conn = await connect(db.url, db.schema, "svodka-dashboard-bulletin")
    try:
        await outbox_store.create(conn)
        assert await Scheduler(app=site.application, schedule=schedule, clock=Now()).tick(conn) is not None
        app = site.application
        await Follower(app.mapper, app.gazetteer, Outward()).catch_up(conn)
    finally:
        await conn.close()
