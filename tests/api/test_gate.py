"""Routes that take a token: throttled per address before the token is checked, 401 before any 422,
X-Forwarded-For believed only from trusted proxies, and a frozen Redis costs one timeout, not one per request."""

from __future__ import annotations

import socket
from ipaddress import ip_network

import pytest

from api.context import Limit
from tests.api.conftest import MODERATOR, detention, moderator, operator


def test_guessing_moderator_tokens_is_throttled_per_address(serve):
    served = serve(intake_per_address=Limit(3, 60))
    codes = [served.client.get("/v1/moderation/queue", headers=moderator(f"guess-{i:020d}")).status_code
             for i in range(5)]
    assert codes == [401, 401, 401, 429, 429]
    limited = served.client.get("/v1/moderation/queue", headers=moderator(MODERATOR))
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) > 0


@pytest.mark.parametrize(("method", "path", "body"), [
    ("POST", "/v1/reports", b"{not json"),
    ("POST", "/v1/reports", b'{"kind": "riot"}'),
    ("POST", "/v1/reports/00000000-0000-0000-0000-000000000000/verify", b"{not json"),
    ("POST", "/v1/reports/not-a-uuid/reject", b"[]"),
])
@pytest.mark.parametrize("token", [None, "wrong-token-0123456789"])
def test_without_a_valid_token_a_malformed_request_is_401_not_422(http, method, path, body, token):
    headers = {"Content-Type": "application/json", "Idempotency-Key": "k"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    answer = http.request(method, path, content=body, headers=headers)
    assert answer.status_code == 401, answer.text
    assert answer.headers["www-authenticate"].startswith("Bearer")
    assert answer.json()["error"]["field"] == "Authorization"


def test_with_a_valid_token_the_body_is_judged(http):
    answer = http.post("/v1/reports", content=b"{not json", headers={**operator(), "Content-Type": "application/json"})
    assert answer.status_code == 422
    wrong_role = http.post("/v1/reports", json=detention(), headers={**operator(), **moderator()})
    assert wrong_role.status_code == 403


def test_forwarded_for_is_ignored_unless_the_peer_is_a_trusted_proxy(serve):
    served = serve(intake_per_address=Limit(2, 60))
    codes = [served.client.post("/v1/reports", json=detention(),
                                headers={"Idempotency-Key": "k", "X-Forwarded-For": f"203.0.113.{i}"}).status_code
             for i in range(3)]
    assert codes == [401, 401, 429]


def test_forwarded_for_names_the_client_behind_a_trusted_proxy(serve):
    served = serve(intake_per_address=Limit(1, 60), trusted_proxies=(ip_network("127.0.0.0/8"),))

    def post(forwarded: str) -> int:
        return served.client.post("/v1/reports", json=detention(),
                                  headers={**operator(), "X-Forwarded-For": forwarded}).status_code

    assert post("198.51.100.7") == 201
    assert post("198.51.100.8") == 201  # another client behind the same proxy: its own budget
    # A client's own made-up entry to the left of what the proxy appended changes nothing.
    assert post("10.9.9.9, 198.51.100.7") == 429


@pytest.fixture
def frozen_redis():
    """A port that accepts connections and never answers: Redis stopped with SIGSTOP, as clients see it."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        yield f"redis://127.0.0.1:{listener.getsockname()[1]}/0"


def test_a_frozen_redis_is_tried_once_then_left_alone_for_a_while(serve, frozen_redis):
    served = serve(redis_url=frozen_redis, intake_per_token=Limit(3, 60))
    windows = served.server.config.app.state.api.limiter._windows  # noqa: SLF001
    tries = 0
    script = windows._script  # noqa: SLF001

    async def counted(*args, **kwargs):
        nonlocal tries
        tries += 1
        return await script(*args, **kwargs)

    windows._script = counted  # noqa: SLF001
    codes = [served.client.post("/v1/reports", json=detention(), headers=operator()).status_code for _ in range(5)]
    assert codes == [201, 201, 201, 429, 429]  # still limited, by this process's own counters
    assert tries == 1


def test_the_breaker_tries_redis_again_after_its_cooldown(serve, frozen_redis):
    served = serve(redis_url=frozen_redis)
    windows = served.server.config.app.state.api.limiter._windows  # noqa: SLF001
    assert served.client.post("/v1/reports", json=detention(), headers=operator()).status_code == 201
    assert windows._open_until > 0  # noqa: SLF001 - open after the failure
    windows._open_until = 1.0  # noqa: SLF001 - the cooldown has passed
    assert served.client.post("/v1/reports", json=detention(), headers=operator()).status_code == 201
    assert windows._open_until > 1.0 and not windows._probing  # noqa: SLF001 - tried once more, open again


def test_the_redis_pool_waits_for_a_connection_instead_of_failing(serve):
    from redis.asyncio import BlockingConnectionPool

    from tests.api.conftest import REDIS_URL

    served = serve(redis_url=REDIS_URL, redis_max_connections=2)
    pool = served.server.config.app.state.api.limiter._windows._redis.connection_pool  # noqa: SLF001
    assert isinstance(pool, BlockingConnectionPool) and pool.max_connections == 2
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(16) as threads:
        codes = list(threads.map(lambda _: served.client.get("/v1/moderation/queue",
                                                             headers=moderator(MODERATOR)).status_code, range(32)))
    assert codes == [200] * 32
