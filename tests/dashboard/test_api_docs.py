"""/docs works with no other host reachable: Swagger UI's files come from the app itself."""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx
from playwright.sync_api import expect


def test_the_reference_page_asks_no_other_host(site, context):
    origin = urlsplit(site.url).netloc
    requested: list[str] = []
    context.on("request", lambda request: requested.append(request.url))
    # Anything off this origin fails, as it would where a CDN is blocked.
    context.route(lambda url: urlsplit(url).netloc != origin and not url.startswith("data:"),
                  lambda route: route.abort())
    page = context.new_page()
    page.goto(site.url + "/docs")
    # Swagger UI drew the operations from /openapi.json, and opens one with its description.
    operation = page.locator(".opblock-summary-path", has_text="/v1/reports").first
    expect(operation).to_be_visible(timeout=15_000)
    operation.click()
    expect(page.get_by_text("Store a report once per", exact=False).first).to_be_visible()
    foreign = [u for u in requested if not u.startswith("data:") and urlsplit(u).netloc != origin]
    assert not foreign
    assert any(u.endswith("/openapi.json") for u in requested)


def test_the_reference_files_are_served_and_cacheable(site):
    page = httpx.get(site.url + "/docs").text
    assert "cdn." not in page and "/static-offline-docs/swagger-ui-bundle.js" in page
    script = httpx.get(site.url + "/static-offline-docs/swagger-ui-bundle.js")
    assert script.status_code == 200 and "javascript" in script.headers["content-type"]
    assert script.headers.get("etag") and script.headers.get("last-modified")
    assert httpx.get(site.url + "/redoc").status_code == 404
