"""The moderator's forms over HTTP: each decision goes through the domain with the version seen, as
the JSON API's do; conflicts say what changed and who; bulk decisions list what failed; a forged
form changes nothing."""

from __future__ import annotations

import httpx

from tests.console.conftest import SECOND_MODERATOR, csrf_of, folded, sign_in
from tests.console.test_queue import submit


def _moderator(api, token=None) -> tuple[httpx.Client, str]:
    client = httpx.Client(base_url=api.url, headers={"Origin": api.url}, timeout=30)
    sign_in(client, token) if token else sign_in(client)
    return client, csrf_of(client.get("/console/queue").text)


def test_a_verify_form_records_the_moderator_and_a_forged_one_changes_nothing(serve, db, pg_app, live):
    rid = submit(pg_app, "v1", city="Казань", detained=2)
    folded(db, pg_app, rid)
    api = serve()
    anna, csrf = _moderator(api)
    forged = anna.post(f"/console/reports/{rid}/verify", data={"version": "1", "csrf": "forged"})
    assert forged.status_code == 403 and pg_app.report(rid).version == 1
    cross_site = anna.post(f"/console/reports/{rid}/verify", data={"version": "1", "csrf": csrf},
                           headers={"Origin": "http://evil.example"})
    assert cross_site.status_code == 403 and pg_app.report(rid).version == 1

    done = anna.post(f"/console/reports/{rid}/verify",
                     data={"version": "1", "csrf": csrf, "back": "/console/queue?city=Kazan"})
    assert done.status_code == 303 and done.headers["location"] == "/console/queue?city=Kazan"
    history = pg_app.history(rid)
    assert (history[-1].action, history[-1].by) == ("verified", "anna")
    # Never back to another site, whatever the form says.
    again = anna.post(f"/console/reports/{rid}/reopen",
                      data={"version": "2", "csrf": csrf, "reason": "a second look", "back": "https://evil.example/"})
    assert again.headers["location"] == f"/console/reports/{rid}"


def test_two_moderators_deciding_the_same_version_one_sees_the_conflict(serve, db, pg_app, live):
    rid = submit(pg_app, "c1", city="Казань", detained=2)
    folded(db, pg_app, rid)
    api = serve()
    anna, anna_csrf = _moderator(api)
    boris, boris_csrf = _moderator(api, SECOND_MODERATOR)
    assert anna.post(f"/console/reports/{rid}/verify", data={"version": "1", "csrf": anna_csrf}).status_code == 303
    late = boris.post(f"/console/reports/{rid}/reject",
                      data={"version": "1", "csrf": boris_csrf, "reason": "looks fake"})
    assert late.status_code == 409
    assert "anna" in late.text and "проверено" in late.text and 'name="version" value="2"' in late.text
    assert 'value="looks fake"' in late.text  # the retry carries the decision
    assert pg_app.report(rid).status.value == "verified"


def test_bulk_decisions_are_each_checked_and_failures_listed(serve, db, pg_app, live):
    ids = [submit(pg_app, f"b{i}", city="Казань", detained=1 + i) for i in range(3)]
    folded(db, pg_app, *ids)
    pg_app.verify(ids[1], moderator="someone", expected_version=1)  # moved on after the page was read
    api = serve()
    anna, csrf = _moderator(api)
    answer = anna.post("/console/bulk", data={
        "csrf": csrf, "action": "reject", "reason": "a flood of copies", "pick": [f"{rid}:1" for rid in ids]})
    assert answer.status_code == 200
    assert "Сделано: 2" in answer.text and "Не сделано: 1" in answer.text and "someone" in answer.text
    assert [pg_app.report(r).status.value for r in ids] == ["rejected", "verified", "rejected"]
    assert all(pg_app.history(r)[-1].by == "anna" for r in (ids[0], ids[2]))
    missing_reason = anna.post("/console/bulk", data={"csrf": csrf, "action": "reject", "pick": f"{ids[0]}:2"})
    assert missing_reason.status_code == 422


def test_marking_a_duplicate_and_a_refused_decision_explained(serve, db, pg_app, live):
    root, copy = submit(pg_app, "d1", city="Казань", detained=2), submit(pg_app, "d2", city="Казань", detained=2)
    folded(db, pg_app, root, copy)
    api = serve()
    anna, csrf = _moderator(api)
    assert anna.post(f"/console/reports/{copy}/duplicate",
                     data={"version": "1", "csrf": csrf, "of": root}).status_code == 303
    assert pg_app.report(copy).duplicate_of is not None and str(pg_app.report(copy).duplicate_of) == root
    refused = anna.post(f"/console/reports/{root}/reject", data={"version": "2", "csrf": csrf, "reason": "x"})
    assert refused.status_code == 409 and copy in refused.text  # the domain names the duplicates in the way
    page = anna.get(f"/console/reports/{root}")
    assert page.status_code == 200 and copy in page.text and "добавлен дубликат" in page.text


def test_block_and_forget_with_confirmation(serve, db, pg_app, live):
    rid = submit(pg_app, "f1", city="Казань", detained=2, description="тайное описание")
    folded(db, pg_app, rid)
    ref = pg_app.report(rid).reporter
    api = serve()
    anna, csrf = _moderator(api)
    assert anna.post(f"/console/reporters/{ref}/block", data={"csrf": csrf, "reason": "flood"}).status_code == 303
    assert pg_app.reporter(ref).blocked
    asked = anna.post(f"/console/reporters/{ref}/forget", data={"csrf": csrf})  # no confirmation
    assert asked.status_code == 303 and pg_app.personal_fields(rid) != "erased"
    assert "confirm" in anna.get(asked.headers["location"]).text
    done = anna.post(f"/console/reporters/{ref}/forget", data={"csrf": csrf, "confirm": "yes"})
    assert done.status_code == 200 and pg_app.personal_fields(rid) == "erased"
