"""Signing in and out, the session cookie, CSRF and Origin, idle expiry and throttling, over HTTP."""

from __future__ import annotations

import time
from datetime import timedelta

import httpx

from api.context import Limit
from tests.console.conftest import MODERATOR, OPERATOR, csrf_of, sign_in


def _cookie_header(answer: httpx.Response) -> str:
    cookies = [v for k, v in answer.headers.multi_items() if k == "set-cookie" and v.startswith("svodka_console=")]
    assert len(cookies) == 1, cookies
    return cookies[0]


def test_a_moderator_signs_in_to_the_queue_and_an_operator_to_the_desk(serve):
    api = serve()
    form = api.client.get("/console")
    assert form.status_code == 200 and 'name="token"' in form.text
    assert "default-src 'none'" in form.headers["content-security-policy"]

    answer = sign_in(api.client, MODERATOR)
    assert answer.headers["location"] == "/console/queue"
    cookie = _cookie_header(answer)
    attributes = {part.strip().split("=")[0].lower(): part.strip() for part in cookie.split(";")}
    assert "httponly" in attributes and attributes["samesite"].lower() == "samesite=strict"
    assert attributes["path"] == "Path=/console" and "secure" not in attributes
    assert MODERATOR not in str(answer.headers) and MODERATOR not in answer.text  # never in the browser

    with httpx.Client(base_url=api.url) as desk:
        answer = sign_in(desk, OPERATOR)
        assert answer.headers["location"] == "/console/desk"
        page = desk.get("/console/desk")
        assert page.status_code == 200 and "hotline" in page.text
        assert page.headers["cache-control"] == "no-store"
        assert desk.get("/console/queue").status_code == 403  # a moderator's page


def test_the_cookie_is_secure_when_the_public_url_is_https(serve):
    api = serve(public_url="https://svodka.example")
    assert "secure" in _cookie_header(sign_in(api.client)).lower().split("; ")


def test_a_wrong_token_is_refused_and_sets_no_cookie(serve):
    api = serve()
    answer = api.client.post("/console/session", data={"token": "not-a-token"})
    assert answer.status_code == 401 and "svodka_console=" not in answer.headers.get("set-cookie", "")
    assert api.client.post("/console/session", data={}).status_code == 422


def test_wrong_tokens_are_throttled_per_address(serve):
    api = serve(intake_per_address=Limit(3, 60))
    codes = [api.client.post("/console/session", data={"token": f"wrong-{i}"}).status_code for i in range(4)]
    assert codes == [401, 401, 401, 429]
    assert api.client.post("/console/session", data={"token": MODERATOR}).status_code == 429


def test_signing_out_needs_the_sessions_csrf_token_and_this_origin(serve):
    api = serve()
    sign_in(api.client)
    csrf = csrf_of(api.client.get("/console/queue").text)  # the sign-out form is on every page
    own = {"Origin": api.url}
    # Forged: no token, a wrong one, or the right one from another site. Nothing changes.
    assert api.client.post("/console/session/end", data={}, headers=own).status_code == 403
    assert api.client.post("/console/session/end", data={"csrf": "x" * 43}, headers=own).status_code == 403
    assert api.client.post("/console/session/end", data={"csrf": csrf},
                           headers={"Origin": "https://evil.example"}).status_code == 403
    assert api.client.post("/console/session/end", data={"csrf": csrf}).status_code == 403  # no Origin nor Referer
    assert api.client.get("/console/queue").status_code == 200  # still signed in

    out = api.client.post("/console/session/end", data={"csrf": csrf}, headers=own)
    assert out.status_code == 200 and 'name="token"' in out.text
    assert api.client.get("/console/queue").status_code == 401  # the session is revoked, not just forgotten


def test_a_revoked_session_stays_revoked_with_its_old_cookie(serve):
    api = serve()
    sign_in(api.client)
    sid = api.client.cookies.get("svodka_console")
    csrf = csrf_of(api.client.get("/console/queue").text)
    api.client.post("/console/session/end", data={"csrf": csrf}, headers={"Origin": api.url})
    with httpx.Client(base_url=api.url, cookies={"svodka_console": sid}) as replay:
        assert replay.get("/console/queue").status_code == 401


def test_a_session_ends_after_its_idle_time(serve):
    api = serve(console_idle=timedelta(seconds=1))
    sign_in(api.client)
    assert api.client.get("/console/queue").status_code == 200
    time.sleep(2.2)  # the idle time passing, not a speed being measured
    answer = api.client.get("/console/queue")
    assert answer.status_code == 401 and 'name="token"' in answer.text


def test_console_pages_need_no_bearer_token_at_the_gate(serve):
    api = serve()
    assert api.client.get("/console").status_code == 200
    assert api.client.get("/console/assets/console.js").status_code == 200
    assert api.client.get("/v1/moderation/queue").status_code == 401  # the API keeps its gate


def test_another_site_cannot_sign_this_browser_in(serve):
    api = serve()
    answer = api.client.post("/console/session", data={"token": MODERATOR}, headers={"Origin": "https://evil.example"})
    assert answer.status_code == 403 and "svodka_console=" not in answer.headers.get("set-cookie", "")


def test_the_store_keeps_neither_the_session_id_nor_the_token(serve, store, db):
    import asyncio

    import asyncpg
    import redis

    from tests.isolation import REDIS_URL

    api = serve()
    sign_in(api.client)
    sid = api.client.cookies.get("svodka_console")
    if store == "redis":
        client = redis.Redis.from_url(REDIS_URL)
        try:
            keys = [k.decode() for k in client.keys(f"{api.config.redis_prefix}console:*")]
            values = [client.hgetall(k) for k in keys]
        finally:
            client.close()
    else:
        async def read() -> tuple[list[str], list]:
            conn = await asyncpg.connect(db.url, server_settings={"search_path": db.schema})
            try:
                return [], [dict(r) for r in await conn.fetch("SELECT * FROM console_sessions")]
            finally:
                await conn.close()

        keys, values = asyncio.run(read())
    assert len(values) == 1
    stored = repr(keys) + repr(values)
    assert sid not in stored and MODERATOR not in stored and "anna" in stored


def test_revoking_the_token_ends_its_console_sessions(serve, db):
    from infra.tokens import issue, revoke
    from tests.api.test_issued_tokens import eventually

    api = serve(token_refresh_seconds=0.1)
    token = issue(db, "carol", "moderator")
    assert eventually(lambda: api.client.post("/console/session", data={"token": token}).status_code == 303)
    assert api.client.get("/console/queue").status_code == 200
    assert revoke(db, "carol")
    assert eventually(lambda: api.client.get("/console/queue").status_code == 401), "the session outlived its token"


def test_sessions_kept_in_an_unreachable_redis_get_a_page_saying_to_retry(serve):
    """Redis down (nothing listens on port 1): signing in and opening a page say, as a page in the
    console's language rather than the API's JSON, to come back in a few seconds."""
    api = serve(redis_url="redis://127.0.0.1:1/0")
    signing_in = api.client.post("/console/session", data={"token": MODERATOR})
    api.client.cookies.set("svodka_console", "a" * 43)  # a session id, to be looked up in Redis
    for answer in (signing_in, api.client.get("/console/queue")):
        assert answer.status_code == 503, answer.text
        assert answer.headers["retry-after"]
        assert answer.headers["content-type"].startswith("text/html")
        assert "повторите через несколько секунд" in answer.text
