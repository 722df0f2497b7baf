"""Moderation that can be corrected, operators following their own reports, and checkpoints on
both time axes, over HTTP against real PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

from tests.api.conftest import OPERATOR, OTHER_OPERATOR, detention, moderator, operator, project, settled


def _report(http, token: str = OPERATOR, **changes) -> str:
    answer = http.post("/v1/reports", json=detention(**changes), headers=operator(token=token))
    assert answer.status_code == 201, answer.text
    return answer.json()["id"]


def decide(http, rid: str, action: str, version: int, **body):
    return http.post(f"/v1/reports/{rid}/{action}", json=body, headers={**moderator(), "If-Match": f'"{version}"'})


def test_reopen_unverifies_and_the_figures_and_history_follow(http, db, application):
    rid = _report(http, detained=7)
    assert decide(http, rid, "verify", 1).status_code == 200
    assert settled(http, project(db, application)).json()["total"]["verified"] == 7
    assert http.post(f"/v1/reports/{rid}/reopen", json={"reason": "video is old"}, headers=moderator()).status_code == 428
    reopened = decide(http, rid, "reopen", 2, reason="video is old")
    assert reopened.status_code == 200 and reopened.json()["status"] == "unreviewed"
    total = settled(http, project(db, application)).json()["total"]
    assert (total["verified"], total["unverified"]) == (0, 7)
    assert decide(http, rid, "reopen", 3, reason="again").status_code == 409
    shown = http.get(f"/v1/reports/{rid}", headers=moderator()).json()
    assert [d["action"] for d in shown["decisions"]] == ["submitted", "verified", "reopened"]
    assert shown["decisions"][-1]["why"] == "video is old" and shown["decisions"][-1]["by"] == "anna"


def test_duplicate_links_go_to_the_root_and_a_root_cannot_be_rejected_from_under_its_group(http):
    a, b, c = _report(http), _report(http, detained=4), _report(http, detained=5)
    far = _report(http, city="Новосибирск")
    assert decide(http, b, "duplicate", 1, of=a).status_code == 200
    linked = decide(http, c, "duplicate", 1, of=b).json()
    assert (linked["of"], linked["repointed_from"]) == (a, b) and a in linked["note"]
    refused = decide(http, far, "duplicate", 1, of=a)
    assert refused.status_code == 422 and refused.json()["error"]["field"] == "reason"
    assert "RU-NVS" in refused.json()["error"]["message"] and "RU-MOW" in refused.json()["error"]["message"]
    root_version = http.get(f"/v1/reports/{a}", headers=moderator()).json()["version"]
    rejected = decide(http, a, "reject", root_version, reason="fake")
    assert rejected.status_code == 409
    assert b in rejected.json()["error"]["message"] and c in rejected.json()["error"]["message"]
    # Re-point a mistaken duplicate: it moves to another group.
    d = _report(http, detained=6)
    moved = decide(http, c, "duplicate", 2, of=d)
    assert moved.status_code == 200 and moved.json()["of"] == d
    assert http.get(f"/v1/reports/{a}", headers=moderator()).json()["duplicates"] == [b]


def test_a_moderator_corrects_the_countable_facts_with_a_reason(http, db, application):
    rid = _report(http, detained=3)
    corrected = decide(http, rid, "correct", 1, reason="hotline recount", detained=30, city="Курск")
    assert corrected.status_code == 200 and corrected.json()["version"] == 2
    assert settled(http, project(db, application), city="Kursk").json()["total"]["unverified"] == 30
    assert decide(http, rid, "correct", 2, detained=5).status_code == 422  # a reason is required


def test_operators_see_and_retract_only_their_own_reports(http, db, application):
    mine = _report(http, detained=9, description="у суда")
    theirs = _report(http, token=OTHER_OPERATOR)
    shown = http.get(f"/v1/reports/{mine}", headers=moderator(OPERATOR))
    assert shown.status_code == 200
    assert (shown.json()["status"], shown.json()["detained"], shown.json()["personal"]) == ("unreviewed", 9, None)
    assert http.get(f"/v1/reports/{theirs}", headers=moderator(OPERATOR)).status_code == 404
    assert http.post(f"/v1/reports/{theirs}/retract", json={"reason": "x"},
                     headers=moderator(OPERATOR)).status_code == 404
    assert http.post(f"/v1/reports/{mine}/retract", json={"reason": "x"}, headers=moderator()).status_code == 403
    retracted = http.post(f"/v1/reports/{mine}/retract", json={"reason": "the caller withdrew it"},
                          headers=moderator(OPERATOR))
    assert retracted.status_code == 200 and retracted.json()["status"] == "retracted"
    assert retracted.json()["decisions"][-1]["why"] == "the caller withdrew it"
    assert settled(http, project(db, application)).json()["total"]["unverified"] == 3
    assert http.get(f"/v1/reports/{uuid.uuid4()}", headers=moderator(OPERATOR)).status_code == 404


def test_checkpoints_answer_what_was_known_at_as_of_about_the_street_at_active_at(http, db, application):
    now = datetime.now(timezone.utc)
    seen = (now - timedelta(hours=4)).replace(microsecond=0)  # seen "18:00", reported "22:00"
    before = now - timedelta(seconds=1)
    body = {"kind": "checkpoint", "location": {"lat": 51.73, "lon": 36.19}, "occurred_at": seen.isoformat()}
    rid = http.post("/v1/reports", json=body, headers=operator()).json()["id"]
    region_only = {"kind": "checkpoint", "region": "RU-KRS", "occurred_at": (now - timedelta(minutes=5)).isoformat()}
    other = http.post("/v1/reports", json=region_only, headers=operator()).json()["id"]
    position = project(db, application)
    at_20 = (seen + timedelta(hours=2)).isoformat()
    then = settled(http, position, "/v1/checkpoints", active_at=at_20).json()
    assert [c["id"] for c in then["checkpoints"]] == [rid]
    assert then["checkpoints"][0]["seen_at"].startswith(seen.isoformat()[:16])
    assert "counts once" in then["counts"] and "two distinct others" in then["counts"]  # the vote rule
    unknown = http.get("/v1/checkpoints", params={"active_at": at_20, "as_of": before.isoformat()}).json()
    assert unknown["checkpoints"] == [] and unknown["as_of"]["position"] < position
    current = settled(http, position, "/v1/checkpoints", active_at=now.isoformat()).json()["checkpoints"]
    assert [(c["id"], c["lat"], c["lon"]) for c in current] == [(other, None, None)]


def test_votes_count_once_per_pseudonym_and_one_gone_from_another_does_not_end_it(http, db, application):
    now = datetime.now(timezone.utc)
    body = {"kind": "checkpoint", "location": {"lat": 51.73, "lon": 36.19}, "occurred_at": now.isoformat()}
    rid = uuid.UUID(http.post("/v1/reports", json=body, headers=operator()).json()["id"])
    for _ in range(3):
        application.confirm_checkpoint(rid, by="x" * 64)
    application.clear_checkpoint(rid, by="y" * 64)
    found = settled(http, project(db, application), "/v1/checkpoints")
    listed = [c for c in found.json()["checkpoints"] if c["id"] == str(rid)]
    assert [c["confirmations"] for c in listed] == [1]
    version = http.get(f"/v1/reports/{rid}", headers=moderator()).json()["version"]
    assert decide(http, str(rid), "clear", version).status_code == 200
    gone = settled(http, project(db, application), "/v1/checkpoints").json()["checkpoints"]
    assert str(rid) not in [c["id"] for c in gone]
