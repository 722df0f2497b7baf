"""Refusals a console user can meet, as pages in the console's language: a malformed address (which
FastAPI refuses before our code runs) and the domain's own rules (which speak English in the API)."""

from __future__ import annotations

import ast
from datetime import datetime, timedelta, timezone
from pathlib import Path
from string import Formatter

import httpx
import pytest

import domain
from api.console.domain_words import spoken
from api.console.i18n import WORDS
from domain.errors import DomainError, InvalidReport
from domain.model import check_description, check_detained, check_occurred_at, check_reason
from domain.places import Gazetteer
from domain.report import Kind
from tests.console.conftest import OPERATOR, folded, sign_in
from tests.console.test_decisions import _moderator
from tests.console.test_desk import form_of
from tests.console.test_queue import submit


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


def test_the_domains_rules_are_said_in_the_pages_language(serve, db, pg_app, live):
    api = serve()
    desk = httpx.Client(base_url=api.url, timeout=60, headers={"Origin": api.url})
    sign_in(desk, OPERATOR)
    future = (datetime.now(timezone.utc) + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    page = desk.post("/console/desk/reports", data={**form_of(desk), "city": "Казань", "kind": "detention",
                                                    "count": "2", "time": future})
    assert page.status_code == 422 and "Время события не может быть в будущем." in page.text
    assert "cannot be in the future" not in page.text
    past = (datetime.now(timezone.utc) - timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M")
    page = desk.post("/console/desk/reports", data={**form_of(desk), "city": "Казань", "kind": "detention",
                                                    "count": "20000", "time": past})
    assert page.status_code == 422 and "Число задержанных должно быть от 1 до 10,000." in page.text
    english = desk.get("/console/desk", params={"lang": "en"})
    assert english.status_code == 200
    page = desk.post("/console/desk/reports", data={**form_of(desk), "city": "Казань", "kind": "detention",
                                                    "count": "2", "time": future})
    assert "The time it happened cannot be in the future." in page.text

    rid = submit(pg_app, "twice", city="Казань", detained=2)
    pg_app.verify(rid, moderator="someone", expected_version=1)
    folded(db, pg_app, rid)
    anna, csrf = _moderator(api)
    again = anna.post(f"/console/reports/{rid}/verify", data={"version": "2", "csrf": csrf})
    assert again.status_code == 409 and "У отчёта уже статус «проверено»." in again.text
    assert "already verified" not in again.text


def _refusal(check, *args) -> DomainError:
    with pytest.raises(DomainError) as raised:
        check(*args)
    return raised.value


def test_the_domains_messages_have_words_whatever_their_english_wording():
    now = datetime.now(timezone.utc)
    refusals = [
        _refusal(check_occurred_at, now.replace(tzinfo=None)),
        _refusal(check_occurred_at, now + timedelta(days=1)),
        _refusal(check_occurred_at, datetime(1990, 1, 1, tzinfo=timezone.utc)),
        _refusal(check_detained, Kind.CHECKPOINT, 2),
        _refusal(check_detained, Kind.DETENTION, None),
        _refusal(check_detained, Kind.DETENTION, 2.5),
        _refusal(check_detained, Kind.DETENTION, 0),
        _refusal(check_description, "x" * 100_000),
        _refusal(check_reason, " "),
        _refusal(check_reason, "x" * 1_001),
    ]
    for refusal in refusals:
        assert spoken(refusal, "ru") != refusal.message, refusal.message
        assert not spoken(refusal, "ru").isascii()
    # Keyed by the rule, not by its English: a reworded message still reads in Russian.
    reworded = InvalidReport("It cannot have happened tomorrow.", code="time_future", field="occurred_at")
    assert spoken(reworded, "ru") == "Время события не может быть в будущем."
    # The API's words are not touched.
    assert refusals[1].message == "The time it happened cannot be in the future."


def test_a_city_in_another_region_is_named_with_the_gazetteers_russian_names():
    refusal = _refusal(lambda: Gazetteer.default().resolve(region="RU-MOW", city="Казань"))
    assert refusal.message == "Kazan is in Tatarstan (RU-TA), not in Moscow (RU-MOW)."
    assert spoken(refusal, "ru") == ("Казань находится в регионе Республика Татарстан (RU-TA), "
                                     "а не в регионе Москва (RU-MOW).")
    assert spoken(refusal, "en") == "Kazan is in Tatarstan (RU-TA), not in Moscow (RU-MOW)."


def _raised_in_domain() -> list[tuple[str, int, str | None, set[str] | None]]:
    """Every DomainError the domain raises: (file, line, its literal code, its parts' names, None
    when they are not a literal dict)."""
    import domain.errors

    kinds = {name for name, value in vars(domain.errors).items()
             if isinstance(value, type) and issubclass(value, DomainError)}
    found = []
    for path in sorted(Path(domain.__file__).parent.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", getattr(node.func, "attr", None))
            if name not in kinds:
                continue
            given = {k.arg: k.value for k in node.keywords}
            codes = [c.value for c in ast.walk(given["code"]) if isinstance(c, ast.Constant)] if "code" in given \
                else [None]
            parts = given.get("parts")
            names = ({k.value for k in parts.keys} if isinstance(parts, ast.Dict) else None) if parts else set()
            found.extend((path.name, node.lineno, code, names) for code in codes)
    return found


def test_every_refusal_the_domain_raises_has_words_in_both_languages():
    """A new rule (or a reworded one) fails here, rather than showing English on a Russian page."""
    raised = _raised_in_domain()
    assert len(raised) > 40
    for where, line, code, names in raised:
        assert code is not None, f"{where}:{line} raises a DomainError with no literal code"
        for lang in ("ru", "en"):
            said = WORDS[lang].get(f"de_{code}")
            assert said, f"{where}:{line}: no {lang} words for {code!r}"
            placeholders = {f for _, f, _, _ in Formatter().parse(said) if f}
            assert names is not None and placeholders <= names, (where, line, code, placeholders, names)
