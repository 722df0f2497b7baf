"""The console over real HTTP (httpx) and in headless Chromium, on the test PostgreSQL and Redis."""

from __future__ import annotations

import asyncio
import re
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from uuid import UUID

import httpx
import pytest

from api.context import ApiConfig
from projections.projector import Projector
# serve(**overrides) starts the app on a port; it builds on this folder's base_config.
from tests.api.conftest import project, serve  # noqa: F401 - fixtures and helpers re-exported
from tests.isolation import REDIS_URL

OPERATOR = "op-token-console-0123456789"
MODERATOR = "mod-token-console-0123456789"
SECOND_MODERATOR = "mod-token-console-9876543210"
TOKENS = {
    "operator_tokens": {OPERATOR: "hotline"},
    "moderator_tokens": {MODERATOR: "anna", SECOND_MODERATOR: "boris"},
}


@pytest.fixture(params=["postgres", "redis"])
def store(request) -> str:
    """Where sessions live: PostgreSQL without REDIS_URL, Redis with it."""
    return request.param


@pytest.fixture
def base_config(db, pg_app, store) -> ApiConfig:
    return ApiConfig(
        database_url=db.url, schema=db.schema, application=pg_app,
        redis_url=REDIS_URL if store == "redis" else None,
        redis_prefix=f"svodka-test-{uuid.uuid4().hex[:8]}:", position_refresh_seconds=0.05, **TOKENS,
    )


@pytest.fixture
def live(db, pg_app):
    """The projector following the event log, as `svodka project` does, so pages show decisions."""
    loop = asyncio.new_event_loop()
    task = loop.create_task(Projector(pg_app.mapper).follow(db.url, db.schema, poll=0.2, standby=0.2))

    def run() -> None:
        try:
            loop.run_until_complete(task)
        except asyncio.CancelledError:
            pass
        finally:
            loop.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    yield
    loop.call_soon_threadsafe(task.cancel)
    thread.join(timeout=20)


def folded(db, application, *ids: str) -> None:
    """Wait until the live projector has folded each report as the event store has it now."""
    from projections import triage
    from projections.projector import connect

    async def run() -> None:
        conn = await connect(db.url, db.schema, "svodka-console-tests")
        try:
            deadline = time.monotonic() + 30
            for rid in ids:
                while await triage.folded_version(conn, UUID(rid)) != application.report(UUID(rid)).version:
                    assert time.monotonic() < deadline, f"the projector did not fold {rid}"
                    await asyncio.sleep(0.05)
        finally:
            await conn.close()

    # In its own thread: Playwright's sync API keeps an event loop running in this one.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, run()).result()


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, "the page has no CSRF field"
    return found.group(1)


def sign_in(client: httpx.Client, token: str = MODERATOR) -> httpx.Response:
    answer = client.post("/console/session", data={"token": token})
    assert answer.status_code == 303, answer.text
    return answer
