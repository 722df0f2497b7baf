"""Operator intake over HTTP: auth, idempotency, validation, limits, size."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

from api.context import Limit
from tests.api.conftest import MODERATOR, OPERATOR, OTHER_OPERATOR, REDIS_URL, detention, moderator, operator


def test_a_report_is_stored_once_and_a_retry_gets_the_same_id(http, application):
    headers = operator("call-17")
    first = http.post("/v1/reports", json=detention(description="у метро"), headers=headers)
    assert first.status_code == 201, first.text
    again = http.post("/v1/reports", json=detention(description="у метро"), headers=headers)
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert (first.json()["created"], again.json()["created"]) == (True, False)

    report = application.report(uuid.UUID(first.json()["id"]))
    assert (report.channel, report.reporter, report.city, report.detained) == ("operator:hotline", None, "Moscow", 3)
    assert application.personal_fields(report.id) == {"description": "у метро"}


def test_the_same_key_with_a_different_body_is_a_conflict(http):
    headers = operator("call-18")
    assert http.post("/v1/reports", json=detention(), headers=headers).status_code == 201
    answer = http.post("/v1/reports", json=detention(detained=4), headers=headers)
    assert answer.status_code == 409
    assert "different report" in answer.json()["error"]["message"]


def test_keys_are_per_operator(http):
    a = http.post("/v1/reports", json=detention(), headers=operator("same"))
    b = http.post("/v1/reports", json=detention(), headers=operator("same", token=OTHER_OPERATOR))
    assert a.status_code == b.status_code == 201
    assert a.json()["id"] != b.json()["id"]


def test_concurrent_retries_of_one_report_count_once(http):
    headers = operator("storm")
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: http.post("/v1/reports", json=detention(), headers=headers), range(16)))
    assert {a.status_code for a in answers} <= {200, 201}
    assert len({a.json()["id"] for a in answers}) == 1
    assert sum(a.json()["created"] for a in answers) == 1


def test_concurrent_different_reports_are_all_stored(http, application):
    with ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(lambda i: http.post("/v1/reports", json=detention(detained=i + 1),
                                                    headers=operator()), range(64)))
    assert [a.status_code for a in answers] == [201] * 64
    for i, answer in enumerate(answers):
        assert application.report(uuid.UUID(answer.json()["id"])).detained == i + 1


def test_no_token_is_401_and_a_moderator_token_is_403(http, caplog):
    caplog.set_level("DEBUG")
    missing = http.post("/v1/reports", json=detention(), headers={"Idempotency-Key": "k"})
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"].startswith("Bearer")
    wrong = http.post("/v1/reports", json=detention(), headers={**operator(), "Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    assert "nope" not in wrong.text
    role = http.post("/v1/reports", json=detention(), headers={**operator(), **moderator()})
    assert role.status_code == 403
    assert MODERATOR not in role.text
    assert caplog.records and not any(t in caplog.text for t in (MODERATOR, OPERATOR, "nope"))


def test_invalid_input_is_422_naming_the_field(http):
    cases = {
        "detained": detention(detained=0),
        "occurred_at": detention(occurred_at="2024-05-06T12:00:00"),
        "city": detention(city="Атлантида"),
        "region": detention(city=None, region="RU-XXX"),
        "kind": detention(kind="riot"),
        "description": detention(description="x" * 4001),
        "location.lat": detention(city=None, location={"lat": 91, "lon": 37}),
        "nickname": detention(nickname="x"),
    }
    for field, body in cases.items():
        answer = http.post("/v1/reports", json=body, headers=operator())
        assert answer.status_code == 422, (field, answer.text)
        error = answer.json()["error"]
        assert field in (error["field"] or "") + error["message"], (field, error)
    future = (datetime.now(timezone.utc) + timedelta(days=1)).isoformat()
    answer = http.post("/v1/reports", json=detention(occurred_at=future), headers=operator())
    assert answer.status_code == 422 and answer.json()["error"]["field"] == "occurred_at"
    nowhere = http.post("/v1/reports", json=detention(city=None), headers=operator())
    assert nowhere.status_code == 422 and "region" in nowhere.json()["error"]["message"]
    checkpoint = http.post("/v1/reports", json=detention(kind="checkpoint"), headers=operator())
    assert checkpoint.status_code == 422 and checkpoint.json()["error"]["field"] == "detained"


def test_malformed_requests_are_4xx_json(http):
    broken = http.post("/v1/reports", content=b"{not json", headers={**operator(), "Content-Type": "application/json"})
    assert broken.status_code == 422 and "error" in broken.json()
    no_key = http.post("/v1/reports", json=detention(), headers={"Authorization": operator()["Authorization"]})
    assert no_key.status_code == 422 and no_key.json()["error"]["field"] == "Idempotency-Key"
    nested = http.post("/v1/reports", json=[1, 2], headers=operator())
    assert nested.status_code == 422
    nothing = http.get("/v1/nothing-here")
    assert nothing.status_code == 404 and "error" in nothing.json()
    method = http.delete("/v1/reports")
    assert method.status_code == 405 and "error" in method.json()


def test_bodies_over_64_kib_are_413(http):
    big = detention(description="x" * 70_000)
    answer = http.post("/v1/reports", json=big, headers=operator())
    assert answer.status_code == 413 and "64 KiB" in answer.json()["error"]["message"]

    def chunks():  # no Content-Length: the limit is counted as the body streams
        for _ in range(80):
            yield b"x" * 1024

    streamed = http.post("/v1/reports", content=chunks(), headers=operator())
    assert streamed.status_code == 413


def test_intake_is_rate_limited_per_token_with_retry_after(serve):
    served = serve(intake_per_token=Limit(3, 60))
    codes = [served.client.post("/v1/reports", json=detention(), headers=operator()).status_code for _ in range(4)]
    assert codes == [201, 201, 201, 429]
    limited = served.client.post("/v1/reports", json=detention(), headers=operator())
    assert int(limited.headers["retry-after"]) >= 1
    # Another operator has its own budget.
    other = served.client.post("/v1/reports", json=detention(), headers=operator(token=OTHER_OPERATOR))
    assert other.status_code == 201


def test_intake_is_rate_limited_per_address_even_without_a_token(serve):
    served = serve(intake_per_address=Limit(2, 60))
    codes = [served.client.post("/v1/reports", json=detention(), headers={"Idempotency-Key": "k"}).status_code
             for _ in range(3)]
    assert codes == [401, 401, 429]


def test_limits_are_shared_through_redis_under_hashed_keys(serve, base_config):
    import redis

    one = serve(redis_url=REDIS_URL, intake_per_token=Limit(3, 60), limit_key=b"k" * 32)
    two = serve(redis_url=REDIS_URL, intake_per_token=Limit(3, 60), limit_key=b"k" * 32)
    codes = [s.client.post("/v1/reports", json=detention(), headers=operator()).status_code
             for s in (one, two, one, two)]
    assert codes == [201, 201, 201, 429]  # two workers, one budget
    client = redis.Redis.from_url(REDIS_URL)
    keys = [k.decode() for k in client.keys(f"{base_config.redis_prefix}*")]
    client.delete(*keys)
    assert keys and all(OPERATOR not in k and "127.0.0.1" not in k for k in keys)


def test_a_redis_outage_keeps_limiting_per_process(serve):
    served = serve(redis_url="redis://127.0.0.1:1/15", intake_per_token=Limit(1, 60))
    codes = [served.client.post("/v1/reports", json=detention(), headers=operator()).status_code for _ in range(2)]
    assert codes == [201, 429]


def test_an_unavailable_store_is_503_saying_a_retry_is_safe(http, application, monkeypatch):
    from eventsourcing.persistence import OperationalError

    def down(*objects, **kwargs):
        raise OperationalError("connection refused to postgresql://postgres@db")

    monkeypatch.setattr(application, "save", down)
    answer = http.post("/v1/reports", json=detention(), headers=operator())
    assert answer.status_code == 503 and answer.headers["retry-after"] == "5"
    assert "same Idempotency-Key" in answer.json()["error"]["message"]
    assert "postgresql://" not in answer.text


def test_concurrent_requests_share_the_redis_budget_exactly(serve, base_config):
    import redis

    served = serve(redis_url=REDIS_URL, intake_per_token=Limit(12, 60))
    with ThreadPoolExecutor(max_workers=20) as pool:
        codes = list(pool.map(
            lambda i: served.client.post("/v1/reports", json=detention(), headers=operator(f"burst-{i}")).status_code,
            range(20),
        ))
    assert sorted(codes) == [201] * 12 + [429] * 8
    client = redis.Redis.from_url(REDIS_URL)
    client.delete(*client.keys(f"{base_config.redis_prefix}*"))


def test_the_receipt_echoes_the_place_local_time_and_day_it_was_counted_under(http):
    # 22:30 Moscow time is 02:30 the next day in Novosibirsk: stored as given, and the receipt says so.
    body = detention(city="Нск", occurred_at="2025-03-01T22:30:00+03:00")
    answer = http.post("/v1/reports", json=body, headers=operator())
    assert answer.status_code == 201, answer.text
    receipt = answer.json()
    assert (receipt["region"], receipt["city"]) == ("RU-NVS", "Novosibirsk")
    assert receipt["local_time"] == "2025-03-02T02:30:00+07:00" and receipt["local_day"] == "2025-03-02"


def test_a_location_far_from_the_named_city_is_refused_naming_both(http):
    body = detention(city="Москва", location={"lat": 55.03, "lon": 82.92})
    answer = http.post("/v1/reports", json=body, headers=operator())
    assert answer.status_code == 422 and answer.json()["error"]["field"] == "location"
    message = answer.json()["error"]["message"]
    assert "Moscow" in message and "Novosibirsk" in message
    unknown = http.post("/v1/reports", json=detention(city="Пущино"), headers=operator())
    assert unknown.status_code == 422 and "Pushkino" not in unknown.json()["error"]["message"]
    assert "give the region" in unknown.json()["error"]["message"]
