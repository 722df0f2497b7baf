"""The error contract: a bad report fails alone, extreme values are 422s, a database outage is a 503."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager

import asyncpg
import psycopg
import pytest

from domain.application import NewReport, Submission
from domain.errors import InvalidReport
from infra.keystore import PostgresKeyStore
from tests.api.conftest import MODERATOR, WHEN, detention, moderator, operator

YEAR_ONE = "0001-01-01T00:00:00+14:00"  # before year 1 once in UTC
YEAR_9999 = "9999-12-31T23:59:59-14:00"  # after year 9999 once in UTC


def new_report(ref: str, occurred_at=WHEN, description: str | None = None) -> NewReport:
    return NewReport(kind="detention", channel="operator:hotline", client_ref=ref, occurred_at=occurred_at,
                     city="Москва", detained=2, description=description)


def test_a_report_that_cannot_be_built_fails_alone_in_its_batch(application):
    from datetime import datetime, timedelta, timezone

    year_one = datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=14)))
    outcomes = application.submit_many([new_report("a"), new_report("b", year_one), new_report("c")])
    assert isinstance(outcomes[0], Submission) and isinstance(outcomes[2], Submission)
    assert isinstance(outcomes[1], InvalidReport) and outcomes[1].field == "occurred_at"
    assert application.report(outcomes[0].id).detained == application.report(outcomes[2].id).detained == 2


def test_any_error_of_one_report_stays_its_own(application, monkeypatch):
    sealer = application.vault.sealer

    def fussy_sealer(subjects):
        seal = sealer(subjects)

        def fussy(subject, fields):
            if fields.get("description") == "breaks":
                raise RuntimeError("this one report's own failure")
            return seal(subject, fields)

        return fussy

    monkeypatch.setattr(application.vault, "sealer", fussy_sealer)
    outcomes = application.submit_many([new_report("a", description="ok"), new_report("b", description="breaks"),
                                        new_report("c")])
    assert [type(o).__name__ for o in outcomes] == ["Submission", "RuntimeError", "Submission"]


def test_an_overflowing_time_is_422_and_its_neighbours_are_stored(http):
    bodies = [detention(occurred_at=YEAR_ONE if i == 5 else None) for i in range(12)]
    bodies = [{**b, "occurred_at": b.get("occurred_at", WHEN.isoformat())} for b in bodies]
    with ThreadPoolExecutor(12) as pool:
        answers = list(pool.map(lambda b: http.post("/v1/reports", json=b, headers=operator()), bodies))
    codes = [a.status_code for a in answers]
    assert codes == [201] * 5 + [422] + [201] * 6, [a.text for a in answers]
    assert answers[5].json()["error"]["field"] == "occurred_at"


@pytest.mark.parametrize(("path", "params", "field"), [
    ("/v1/stats", {"as_of": YEAR_ONE}, "as_of"),
    ("/v1/stats", {"as_of": YEAR_9999}, "as_of"),
    ("/v1/stats", {"from": "0001-01-01"}, "from"),
    ("/v1/stats", {"to": "9999-12-31"}, "to"),
    ("/v1/stats", {"to": "0"}, "to"),
    ("/v1/stats", {"as_of": "1715000000"}, "as_of"),
    ("/v1/stats", {"as_of": "2024-05-06T12:00:00"}, "as_of"),
    ("/v1/checkpoints", {"active_at": YEAR_ONE}, "active_at"),
    ("/v1/checkpoints", {"active_at": "0001-01-01T00:00:00Z"}, "active_at"),
    ("/v1/checkpoints", {"active_at": YEAR_9999}, "active_at"),
    ("/v1/checkpoints", {"active_at": "0.5"}, "active_at"),
    ("/v1/export.csv", {"from": "0001-01-01", "to": "0001-01-02"}, "from"),
    ("/v1/export.geojson", {"as_of": YEAR_ONE}, "as_of"),
    ("/v1/audit/heads", {"after": str(2**63)}, "after"),
    ("/v1/audit/heads", {"after": "1" + "0" * 40}, "after"),
])
def test_extreme_or_non_iso_query_values_are_422_naming_the_parameter(http, path, params, field):
    answer = http.get(path, params=params)
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["field"] == field


def test_extreme_since_is_422_for_moderators_too(http):
    answer = http.get("/v1/moderation/signals", params={"since": YEAR_ONE}, headers=moderator(MODERATOR))
    assert answer.status_code == 422 and answer.json()["error"]["field"] == "since"


def test_ordinary_iso_values_are_still_answered(http):
    assert http.get("/v1/stats", params={"as_of": "2024-05-06T21:00:00+03:00", "from": "2024-05-01",
                                         "to": "2024-05-31"}).status_code == 200
    assert http.get("/v1/checkpoints", params={"active_at": "2024-05-06T21:00:00Z"}).status_code == 200
    assert http.get("/v1/audit/heads", params={"after": str(2**63 - 1)}).status_code == 200


def test_malformed_json_says_so_with_the_position_in_the_message(http):
    answer = http.post("/v1/reports", content=b'{"kind": "detention",, }',
                       headers={**operator(), "Content-Type": "application/json"})
    assert answer.status_code == 422
    error = answer.json()["error"]
    assert error["field"] is None
    assert error["message"].startswith("The body is not valid JSON at character 21")


def _terminate(conninfo: str, pids: list[int]) -> None:
    with psycopg.connect(conninfo, autocommit=True) as conn:
        for pid in pids:
            conn.execute("SELECT pg_terminate_backend(%s)", (pid,))


def test_the_key_store_replaces_connections_the_server_closed(db):
    store = PostgresKeyStore(db)
    try:
        store.add("subject-1", "k1", b"wrapped")
        idle = list(store._pool._pool)  # noqa: SLF001 - the connections a restart would kill
        assert idle
        _terminate(db.url, [conn.info.backend_pid for conn in idle])
        assert store.get("subject-1") == ("k1", b"wrapped")
    finally:
        store.close()


def test_reports_with_a_description_are_stored_after_the_server_closed_every_connection(http, application, db):
    assert http.post("/v1/reports", json=detention(description="first"), headers=operator()).status_code == 201
    store = application.vault._store  # noqa: SLF001
    _terminate(db.url, [conn.info.backend_pid for conn in list(store._pool._pool)])  # noqa: SLF001
    answer = http.post("/v1/reports", json=detention(description="second"), headers=operator())
    assert answer.status_code == 201, answer.text


@pytest.mark.parametrize("error", [
    asyncpg.CannotConnectNowError("the database system is starting up"),
    asyncpg.AdminShutdownError("terminating connection due to administrator command"),
    asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
    psycopg.OperationalError("connection failed: Connection refused"),
    TimeoutError(),
])
def test_every_driver_saying_the_database_is_unavailable_is_503_with_retry_after(api, http, error, monkeypatch):
    @asynccontextmanager
    async def unavailable():
        raise error
        yield

    monkeypatch.setattr(api.server.config.app.state.api.read_model, "snapshot", unavailable)
    answer = http.get("/v1/stats", params={"region": "RU-MOW", "kind": "checkpoint", "_": uuid.uuid4().hex})
    assert answer.status_code == 503, answer.text
    assert answer.headers["retry-after"] == "5"
    assert "unavailable" in answer.json()["error"]["message"]
