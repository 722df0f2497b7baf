"""Moderation over HTTP: roles, decisions by name, and optimistic concurrency."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

from domain.application import NewReport
from tests.api.conftest import (
    MODERATOR, OPERATOR, OTHER_OPERATOR, SECOND_MODERATOR, WHEN, detention, moderator, operator, project, settled,
)


def _report(http, **changes) -> str:
    answer = http.post("/v1/reports", json=detention(**changes), headers=operator())
    assert answer.status_code == 201, answer.text
    return answer.json()["id"]


def test_moderation_needs_a_moderator_token(http):
    rid = _report(http)
    assert http.get("/v1/moderation/queue").status_code == 401
    assert http.get("/v1/moderation/queue", headers=moderator(OPERATOR)).status_code == 403
    assert http.post(f"/v1/reports/{rid}/verify", json={}).status_code == 401
    forbidden = http.post(f"/v1/reports/{rid}/verify", json={}, headers=moderator(OPERATOR))
    assert forbidden.status_code == 403 and OPERATOR not in forbidden.text


def test_the_queue_shows_moderators_the_personal_fields(http, db, application):
    rid = _report(http, description="Задержан у входа", location={"lat": 55.7512, "lon": 37.6184})
    project(db, application)
    items = http.get("/v1/moderation/queue", headers=moderator()).json()["items"]
    item = next(i for i in items if i["id"] == rid)
    assert item["version"] == 1 and item["channel"] == "operator:hotline" and item["reporter"] is None
    assert item["personal"] == {"erased": False, "description": "Задержан у входа", "lat": 55.7512, "lon": 37.6184}


def test_two_moderators_on_one_version_one_wins_the_other_gets_409(http, application):
    rid = _report(http)
    decisions = [
        (f"/v1/reports/{rid}/verify", {"note": "ok"}, MODERATOR),
        (f"/v1/reports/{rid}/reject", {"reason": "фейк"}, SECOND_MODERATOR),
    ]
    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(lambda d: http.post(d[0], json=d[1], headers={**moderator(d[2]), "If-Match": "1"}),
                                decisions))
    assert sorted(a.status_code for a in answers) == [200, 409]
    loser = next(a for a in answers if a.status_code == 409)
    assert "reload" in loser.json()["error"]["message"]
    winner = next(a for a in answers if a.status_code == 200).json()
    report = application.report(uuid.UUID(rid))
    assert report.decisions[-1][0] == winner["decided_by"] and report.version == winner["version"] == 2


def test_the_version_can_come_in_the_body_and_must_agree_with_if_match(http):
    rid = _report(http)
    stale = http.post(f"/v1/reports/{rid}/reject", json={"reason": "x", "version": 5}, headers=moderator())
    assert stale.status_code == 409
    disagree = http.post(f"/v1/reports/{rid}/reject", json={"reason": "x", "version": 1},
                         headers={**moderator(), "If-Match": "2"})
    assert disagree.status_code == 422 and disagree.json()["error"]["field"] == "version"
    garbage = http.post(f"/v1/reports/{rid}/reject", json={"reason": "x"}, headers={**moderator(), "If-Match": "*x"})
    assert garbage.status_code == 422 and garbage.json()["error"]["field"] == "If-Match"
    ok = http.post(f"/v1/reports/{rid}/reject", json={"reason": "фейк", "version": 1}, headers=moderator())
    assert ok.status_code == 200 and ok.json() == {"id": rid, "version": 2, "status": "rejected", "decided_by": "anna"}
    # A decision without the version it was made on is refused, not applied to whatever is there now.
    unversioned = http.post(f"/v1/reports/{rid}/verify", json={}, headers=moderator())
    assert unversioned.status_code == 428 and unversioned.json()["error"]["field"] == "If-Match"
    again = http.post(f"/v1/reports/{rid}/verify", json={}, headers={**moderator(), "If-Match": "2"})
    assert again.status_code == 409


def test_duplicates_name_an_existing_report(http):
    first, second = _report(http), _report(http, detained=4)
    seen = {**moderator(), "If-Match": "1"}
    missing = http.post(f"/v1/reports/{second}/duplicate", json={"of": str(uuid.uuid4())}, headers=seen)
    assert missing.status_code == 422 and missing.json()["error"]["field"] == "of"
    itself = http.post(f"/v1/reports/{second}/duplicate", json={"of": second}, headers=seen)
    assert itself.status_code == 409
    marked = http.post(f"/v1/reports/{second}/duplicate", json={"of": first}, headers=seen)
    assert marked.status_code == 200 and marked.json()["status"] == "duplicate"


def test_unknown_reports_are_404_and_bad_ids_422(http):
    seen = {**moderator(), "If-Match": "1"}
    assert http.post(f"/v1/reports/{uuid.uuid4()}/verify", json={}, headers=seen).status_code == 404
    assert http.post("/v1/reports/not-a-uuid/verify", json={}, headers=moderator()).status_code == 422
    empty_reason = http.post(f"/v1/reports/{uuid.uuid4()}/reject", json={"reason": ""}, headers=moderator())
    assert empty_reason.status_code == 422 and empty_reason.json()["error"]["field"] == "reason"


def test_blocking_a_reporter_stops_its_reports_counting(http, db, application):
    rid = application.submit(
        NewReport("detention", "telegram", "u1", WHEN, reporter="ab" * 32, city="Kursk", detained=50)
    ).id
    assert settled(http, project(db, application), city="Kursk").json()["total"]["unverified"] == 50
    # Moderators know the reporter by the reference shown on their reports.
    [item] = http.get("/v1/moderation/queue", headers=moderator()).json()["items"]
    reference = item["reporter"]
    assert reference == application.report(rid).reporter and reference != "ab" * 32
    blocked = http.post(f"/v1/reporters/{reference}/block", json={"reason": "флуд"}, headers=moderator())
    assert blocked.status_code == 200 and blocked.json() == {"pseudonym": reference, "blocked": True, "decided_by": "anna"}
    assert application.reporter(reference).blocked
    assert settled(http, project(db, application), city="Kursk").json()["total"]["unverified"] == 0
    assert http.post("/v1/reporters/raw-telegram-id/block", json={"reason": "x"}, headers=moderator()).status_code == 422


def test_a_report_shows_moderators_who_decided_what_and_why(http):
    rid = _report(http, description="у суда")
    http.post(f"/v1/reports/{rid}/verify", json={"note": "есть видео"}, headers={**moderator(), "If-Match": "1"})
    http.post(f"/v1/reports/{rid}/reject", json={"reason": "видео старое"},
              headers={**moderator(SECOND_MODERATOR), "If-Match": "2"})
    assert http.get(f"/v1/reports/{rid}").status_code == 401
    # Another operator than the one who sent it is told there is no such report.
    assert http.get(f"/v1/reports/{rid}", headers=moderator(OTHER_OPERATOR)).status_code == 404
    shown = http.get(f"/v1/reports/{rid}", headers=moderator()).json()
    assert (shown["status"], shown["version"]) == ("rejected", 3)
    assert [(d["by"], d["action"], d["why"]) for d in shown["decisions"]] == [
        ("operator:hotline", "submitted", None), ("anna", "verified", "есть видео"), ("boris", "rejected", "видео старое"),
    ]
    assert all(d["at"] for d in shown["decisions"])
    assert shown["personal"]["description"] == "у суда"
    assert http.get(f"/v1/reports/{uuid.uuid4()}", headers=moderator()).status_code == 404


def test_a_flood_from_one_pseudonym_shows_in_the_signals(http, db, application):
    flooder = "f" * 64
    for i in range(6):
        application.submit(NewReport("detention", "telegram", f"f{i}", WHEN, reporter=flooder, city="Kursk", detained=9))
    application.submit(NewReport("detention", "telegram", "calm", WHEN, reporter="c" * 64, city="Kursk", detained=1))
    project(db, application)
    signals = http.get("/v1/moderation/signals", params={"min_submitted": 5}, headers=moderator()).json()["signals"]
    assert [(s["reporter"], s["submitted"]) for s in signals] == [(application.reporter_reference(flooder), 6)]
    assert http.get("/v1/moderation/signals", params={"reporter": "123"}, headers=moderator()).status_code == 422


def test_a_moderator_can_forget_a_reporter_and_the_counts_stay(http, db, application):
    rid = application.submit(
        NewReport("detention", "telegram", "f1", WHEN, reporter="cd" * 32, city="Kursk", detained=4, description="у суда")
    ).id
    pseudonym = application.report(rid).reporter  # the reference moderators see
    assert settled(http, project(db, application), city="Kursk").json()["total"]["unverified"] == 4
    assert http.post(f"/v1/reporters/{pseudonym}/forget").status_code == 401
    forgotten = http.post(f"/v1/reporters/{pseudonym}/forget", headers=moderator())
    assert forgotten.status_code == 200 and forgotten.json() == {"pseudonym": pseudonym, "forgotten": True, "decided_by": "anna"}
    assert application.personal_fields(rid) == "erased"
    assert application.reporter_reference("cd" * 32) is None
    assert settled(http, project(db, application), city="Kursk").json()["total"]["unverified"] == 4
    again = http.post(f"/v1/reporters/{pseudonym}/forget", headers=moderator())
    assert again.status_code == 409 and "already erased" in again.json()["error"]["message"]
