"""Refusals a console user can meet, as pages in the console's language: a malformed address (which
FastAPI refuses before our code runs) and the domain's own rules (which speak English in the API)."""

from __future__ import annotations

import pytest

from tests.console.test_decisions import _moderator


@pytest.fixture
def store() -> str:
    return "redis"  # the session store is test_sessions.py's subject


def test_a_malformed_console_address_is_a_page_in_its_language_and_the_api_keeps_its_json(serve):
    api = serve()
    anna, _ = _moderator(api)
    for path in ("/console/reports/not-a-report-id", "/console/reports/0b6f3c1a-2d4e"):
        page = anna.get(path)
        assert page.status_code == 422 and page.headers["content-type"].startswith("text/html"), page.text
        assert '<html lang="ru">' in page.text and "В адресе страницы ошибка" in page.text
        assert 'href="/console"' in page.text and "anna" in page.text  # the layout: a way back, who is in
        assert page.headers["content-security-policy"]
    english = anna.get("/console/reports/not-a-report-id", params={"lang": "en"})
    assert english.status_code == 422 and "address is wrong" in english.text
    missing = anna.get("/console/no-such-page", params={"lang": "ru"})
    assert missing.status_code == 404 and "Такой страницы в консоли нет" in missing.text
    # The JSON API's contract is the same as before.
    bad_id = api.client.get("/v1/bulletins/not-a-uuid")
    assert bad_id.status_code == 422 and bad_id.json()["error"]["field"] == "id"
    nothing = api.client.get("/v1/no-such-thing")
    assert nothing.status_code == 404 and nothing.json()["error"]["message"] == "There is nothing at /v1/no-such-thing."

