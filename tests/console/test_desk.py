"""The operator's desk over real HTTP: the entry form and its receipt, one report per form however
often it is sent, the CSV import's dry run and import, "my reports" and retract, and refusals."""

from __future__ import annotations

import logging
import re
import socket
import time
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit
from uuid import UUID

import httpx
import pytest

from api.context import Limit
from tests.console.conftest import MODERATOR, OPERATOR, csrf_of, folded, sign_in

DAY = (datetime.now(timezone.utc) - timedelta(days=2)).date()


@pytest.fixture
def store() -> str:
    return "redis"  # the session store is test_sessions.py's subject; the desk needs one of them


@pytest.fixture
def desk(serve) -> httpx.Client:
    served = serve()
    client = httpx.Client(base_url=served.url, timeout=60, headers={"Origin": served.url})
    sign_in(client, OPERATOR)
    yield client
    client.close()


def form_of(client: httpx.Client) -> dict[str, str]:
    page = client.get("/console/desk").text
    return {"csrf": csrf_of(page), "key": re.search(r'name="key" value="([^"]+)"', page).group(1)}


def test_a_phoned_in_report_gets_a_receipt_and_a_second_click_is_the_same_report(desk, pg_app):
    page = desk.get("/console/desk").text
    assert '<datalist id="cities">' in page and 'value="Новосибирск"' in page and "Asia/Novosibirsk" in page
    form = {**form_of(desk), "city": "Новосибирск", "kind": "detention", "count": "4",
            "time": f"{DAY}T22:30", "description": "<script>alert(1)</script> у театра"}
    first = desk.post("/console/desk/reports", data=form)
    again = desk.post("/console/desk/reports", data=form)
    assert first.status_code == again.status_code == 303
    assert first.headers["location"].split("?")[0] == again.headers["location"].split("?")[0]
    rid = UUID(first.headers["location"].split("/")[-1].split("?")[0])
    receipt = desk.get(first.headers["location"]).text
    assert "Новосибирск" in receipt and f"{DAY} 22:30 UTC+07:00" in receipt and DAY.isoformat() in receipt
    assert str(rid) in receipt and "Asia/Novosibirsk" in receipt
    assert "Уже было получено по этой форме" in desk.get(again.headers["location"]).text
    report = pg_app.report(rid)
    assert report.channel == "operator:hotline" and report.detained == 4
    assert report.occurred_at == datetime(DAY.year, DAY.month, DAY.day, 15, 30, tzinfo=timezone.utc)
    assert pg_app.personal_fields(rid)["description"] == "<script>alert(1)</script> у театра"


def test_a_wrong_form_says_what_is_wrong_and_stores_nothing(desk, pg_app):
    form = {**form_of(desk), "city": "Масква", "kind": "detention", "count": "", "time": "вчера"}
    answer = desk.post("/console/desk/reports", data=form)
    assert answer.status_code == 422
    assert "Неизвестный город «Масква». Может быть, Москва?" in answer.text
    assert "Не указано, сколько человек задержано." in answer.text and "Время «вчера» не понято" in answer.text
    assert 'value="Масква"' in answer.text  # what was typed stays in the form
    english = desk.post("/console/desk/reports?lang=en", data=form)
    assert "Did you mean Москва?" in english.text and "No count" in english.text and "not understood" in english.text


def test_hostile_text_is_shown_as_text(desk):
    form = {**form_of(desk), "city": "<script>alert(1)</script>", "count": "1", "time": f"{DAY}T10:00"}
    answer = desk.post("/console/desk/reports", data=form)
    assert answer.status_code == 422 and "<script>alert(1)" not in answer.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in answer.text


def test_a_forged_form_is_refused(desk, serve):
    form = {**form_of(desk), "city": "Москва", "count": "1", "time": f"{DAY}T10:00"}
    assert desk.post("/console/desk/reports", data={**form, "csrf": "forged"}).status_code == 403
    assert desk.post("/console/desk/reports", data=form, headers={"Origin": "https://evil.example"}).status_code == 403


def test_a_moderator_has_no_desk(serve):
    served = serve()
    with httpx.Client(base_url=served.url, timeout=60) as client:
        sign_in(client, MODERATOR)
        assert client.get("/console/desk").status_code == 403


CSV = (f"\ufeffГород;Вид;Задержано;Время;Описание\n"
       f"Москва;задержание;3;{DAY:%d.%m.%Y} 19:30;у метро\n"
       f"Масква;задержание;;{DAY} 25:00;\n"
       f"Курск;блокпост;;{DAY} 08:15;\"на выезде; с собаками\"\n").encode()


def test_import_a_dry_run_then_the_import_then_again_stores_nothing_twice(desk, pg_app, db, live):
    csrf = form_of(desk)["csrf"]
    dry = desk.post("/console/desk/import", data={"csrf": csrf}, files={"file": ("night.csv", CSV, "text/csv")})
    assert dry.status_code == 200, dry.text
    assert "Может быть, Москва?" in dry.text and 'id="import"' in dry.text
    encoded = re.search(r'name="sheet" value="([^"]+)"', dry.text).group(1)
    done = desk.post("/console/desk/import", data={"csrf": csrf, "sheet": encoded, "action": "import"})
    assert re.search(r'id="n-stored">2<', done.text) and re.search(r'id="n-refused">1<', done.text)
    again = desk.post("/console/desk/import", data={"csrf": csrf, "sheet": encoded, "action": "import"})
    assert re.search(r'id="n-stored">0<', again.text) and re.search(r'id="n-already">2<', again.text)
    ids = set(re.findall(r"/console/desk/reports/([0-9a-f-]{36})", again.text))
    assert len(ids) == 2 and all(pg_app.report(UUID(i)).channel == "operator:hotline" for i in ids)
    folded(db, pg_app, *ids)  # the dry run's hint comes from the read model
    second = desk.post("/console/desk/import", data={"csrf": csrf}, files={"file": ("night.csv", CSV, "text/csv")})
    assert "из них уже сохранено при прошлом импорте: 2" in second.text
    assert second.text.count('<td class="outcome">уже было</td>') == 2

def test_an_edited_file_s_dry_run_marks_unchanged_rows_stored_and_the_edited_one_new(desk, pg_app, db, live):
    csrf = form_of(desk)["csrf"]
    night = (f"город,задержано,время\nОмск,4,{DAY} 09:00\nТомск,2,{DAY} 09:10\nОрёл,7,{DAY} 09:20\n").encode()
    dry = desk.post("/console/desk/import", data={"csrf": csrf}, files={"file": ("night.csv", night, "text/csv")})
    encoded = re.search(r'name="sheet" value="([^"]+)"', dry.text).group(1)
    done = desk.post("/console/desk/import", data={"csrf": csrf, "sheet": encoded, "action": "import"})
    assert re.search(r'id="n-stored">3<', done.text)
    folded(db, pg_app, *set(re.findall(r"/console/desk/reports/([0-9a-f-]{36})", done.text)))
    # Tomsk's count corrected, and the file saved again with semicolons and a BOM.
    edited = "\ufeff" + night.decode().replace(",", ";").replace("Томск;2;", "Томск;3;")
    again = desk.post("/console/desk/import", data={"csrf": csrf},
                      files={"file": ("night.csv", edited.encode(), "text/csv")}).text
    assert "из них уже сохранено при прошлом импорте: 2" in again
    outcome = dict(re.findall(r'<tr id="row-(\d)">.*?<td class="outcome">([^<]*)</td>', again, re.S))
    assert outcome == {"2": "уже было", "3": "новая", "4": "уже было"}
    # What a re-import does is said before Import is pressed, where it can still change the choice.
    assert 'id="reimport">Каждая строка сохраняется под ключом' in again
    encoded = re.search(r'name="sheet" value="([^"]+)"', again).group(1)
    imported = desk.post("/console/desk/import", data={"csrf": csrf, "sheet": encoded, "action": "import"})
    assert re.search(r'id="n-stored">1<', imported.text) and re.search(r'id="n-already">2<', imported.text)

def test_my_reports_lists_them_and_retract_stops_one_counting(desk, pg_app, db, live):
    form = {**form_of(desk), "city": "Казань", "kind": "detention", "count": "2", "time": f"{DAY}T12:00"}
    rid = desk.post("/console/desk/reports", data=form).headers["location"].split("/")[-1].split("?")[0]
    folded(db, pg_app, rid)
    mine = desk.get("/console/desk/mine").text
    assert f'id="report-{rid}"' in mine and "Казань" in mine
    answer = desk.post(f"/console/desk/reports/{rid}/retract", data={"csrf": form["csrf"], "reason": "дубль звонка"})
    assert answer.status_code == 303
    assert pg_app.report(UUID(rid)).status.value == "retracted"
    assert 'class="status status-retracted">отозвано<' in desk.get("/console/desk/mine").text
    other = "00000000-0000-0000-0000-000000000000"
    assert desk.post(f"/console/desk/reports/{other}/retract",
                     data={"csrf": form["csrf"], "reason": "x"}).status_code == 404


def test_a_form_abandoned_while_it_is_sent_is_not_an_error(desk, caplog):
    """A double click makes Chromium drop the first post mid-body; that is no server error (it was
    logged as "unhandled error" and answered 500 to no one)."""
    served = urlsplit(str(desk.base_url))
    cookie = f"svodka_console={desk.cookies.get('svodka_console')}"
    request = (f"POST /console/desk/reports HTTP/1.1\r\nHost: {served.netloc}\r\nOrigin: {desk.base_url}\r\n"
               f"Cookie: {cookie}\r\nContent-Type: application/x-www-form-urlencoded\r\n"
               "Content-Length: 1000\r\n\r\ncity=").encode()
    seen: list[str] = []
    for _ in range(5):  # a close that beats the request to the app abandons nothing it ran: send again
        with socket.create_connection((served.hostname, served.port)) as sock:
            sock.sendall(request)
            time.sleep(0.5)  # the app is now reading the rest of the body
        deadline = time.monotonic() + 5
        while not seen and time.monotonic() < deadline:
            seen = re.findall(r'svodka_http_requests_total\{method="POST",route="/console/desk/reports",'
                              r'status="(\d+)"\} 1\.0', desk.get("/metrics").text)
            time.sleep(0.05)
        if seen:
            break
    assert seen == ["499"]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_an_upload_too_large_or_not_utf8_is_refused_and_only_the_import_takes_large_bodies(desk):
    csrf = form_of(desk)["csrf"]
    big = b"city,time\n" + b"Moscow,2026-11-21 10:00\n" * 200_000  # 4.6 MB
    answer = desk.post("/console/desk/import", data={"csrf": csrf}, files={"file": ("big.csv", big, "text/csv")})
    assert answer.status_code == 413 and "4" in answer.text
    cp1251 = "город;время\nМосква;21.11.2026 10:00\n".encode("cp1251")
    answer = desk.post("/console/desk/import", data={"csrf": csrf}, files={"file": ("w.csv", cp1251, "text/csv")})
    assert answer.status_code == 422 and "CSV UTF-8" in answer.text
    # Every other route keeps the API's 64 KiB.
    assert desk.post("/console/desk/reports", data={"csrf": csrf, "description": "x" * 70_000}).status_code == 413


def test_a_place_without_a_listed_city_is_entered_by_its_region(desk, pg_app):
    form = {**form_of(desk), "city": "", "region": "RU-KRS", "kind": "checkpoint", "count": "",
            "time": f"{DAY}T07:45"}
    answer = desk.post("/console/desk/reports", data=form)
    assert answer.status_code == 303, answer.text
    report = pg_app.report(UUID(answer.headers["location"].split("/")[-1].split("?")[0]))
    assert (report.region, report.city, report.kind.value) == ("RU-KRS", None, "checkpoint")
    assert "Курская область" in desk.get(answer.headers["location"]).text


def test_my_reports_come_a_page_at_a_time_with_a_link_to_older_ones(desk, pg_app, db, live, monkeypatch):
    from api.console import desk as desk_page

    monkeypatch.setattr(desk_page, "MINE_PAGE", 2)  # the app runs in this process (tests/api/conftest.py)
    ids = []
    for hour in (10, 11, 12):
        form = {**form_of(desk), "city": "Казань", "kind": "detention", "count": "1", "time": f"{DAY}T{hour}:00"}
        ids.append(desk.post("/console/desk/reports", data=form).headers["location"].split("/")[-1].split("?")[0])
    folded(db, pg_app, *ids)
    first = desk.get("/console/desk/mine")
    assert first.status_code == 200 and "Всего: 3; по 2 на странице" in first.text
    assert [f'id="report-{rid}"' in first.text for rid in ids] == [False, True, True]  # the latest first
    older = re.search(r'<a href="([^"]+)" rel="next" id="older">Более ранние</a>', first.text)
    assert older, first.text
    second = desk.get(older.group(1).replace("&amp;", "&"))
    assert second.status_code == 200 and f'id="report-{ids[0]}"' in second.text
    assert not any(f'id="report-{rid}"' in second.text for rid in ids[1:])
    assert 'id="older"' not in second.text and "К последним" in second.text
    assert desk.get("/console/desk/mine", params={"before": "yesterday_nobody"}).status_code == 422


def test_an_operator_past_the_desk_budget_gets_a_page_saying_when_to_retry_and_nothing_is_stored(serve, pg_app):
    second = "op-token-console-second-0123456789"
    served = serve(desk_per_operator=Limit(2, 60), operator_tokens={OPERATOR: "hotline", second: "night-shift"})
    hotline = httpx.Client(base_url=served.url, timeout=60, headers={"Origin": served.url})
    sign_in(hotline, OPERATOR)
    form = {"city": "Казань", "kind": "detention", "count": "1", "time": f"{DAY}T12:00"}
    for _ in range(2):
        assert hotline.post("/console/desk/reports", data={**form_of(hotline), **form}).status_code == 303
    stored = pg_app.recorder.max_notification_id()
    refused = hotline.post("/console/desk/reports", data={**form_of(hotline), **form})
    assert refused.status_code == 429 and refused.headers["content-type"].startswith("text/html")
    assert 0 < int(refused.headers["retry-after"]) <= 60
    assert '<html lang="ru">' in refused.text and "Слишком много отправок за минуту" in refused.text
    assert f"через {refused.headers['retry-after']} с" in refused.text
    assert pg_app.recorder.max_notification_id() == stored  # refused before the intake
    # Every state-changing desk form draws on it, in the page's language; reading pages does not.
    assert hotline.get("/console/desk", params={"lang": "en"}).status_code == 200
    retract = hotline.post(f"/console/desk/reports/{UUID(int=1)}/retract",
                           data={"csrf": form_of(hotline)["csrf"], "reason": "x"})
    assert retract.status_code == 429 and "Too many forms sent this minute" in retract.text
    # The budget is the operator's, not the server's.
    night = httpx.Client(base_url=served.url, timeout=60, headers={"Origin": served.url})
    sign_in(night, second)
    assert night.post("/console/desk/reports", data={**form_of(night), **form}).status_code == 303
