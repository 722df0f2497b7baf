"""The console over real HTTP (httpx) and in headless Chromium, on the test PostgreSQL and Redis."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest

from api.context import ApiConfig
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


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, "the page has no CSRF field"
    return found.group(1)


def sign_in(client: httpx.Client, token: str = MODERATOR) -> httpx.Response:
    answer = client.post("/console/session", data={"token": token})
    assert answer.status_code == 303, answer.text
    return answer
