"""The API over real HTTP: uvicorn on a free loopback port, on the test PostgreSQL schema."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import httpx
import pytest
import uvicorn

from api.app import create_app
from api.context import ApiConfig
from tests.isolation import REDIS_URL

OPERATOR = "op-token-0123456789abcdef"
OTHER_OPERATOR = "op-token-fedcba9876543210"
MODERATOR = "mod-token-0123456789abcdef"
SECOND_MODERATOR = "mod-token-fedcba9876543210"
# One instant for the session, so two bodies built alike are equal (idempotent retries).
WHEN = (datetime.now(timezone.utc) - timedelta(hours=1)).replace(microsecond=0)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Served:
    """One app on a port; stopped at teardown."""

    def __init__(self, config: ApiConfig) -> None:
        self.config = config
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(
            create_app(config), host="127.0.0.1", port=self.port, log_config=None, access_log=False,
            lifespan="on", proxy_headers=False,  # as infra/runner.py runs it
        ))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the API did not start")
            time.sleep(0.02)
        self.client = httpx.Client(base_url=self.url, timeout=30)

    def stop(self) -> None:
        self.client.close()
        self.server.should_exit = True
        self.thread.join(timeout=20)


@pytest.fixture
def application(pg_app):
    return pg_app


@pytest.fixture
def base_config(db, application) -> ApiConfig:
    return ApiConfig(
        database_url=db.url,
        schema=db.schema,
        application=application,
        operator_tokens={OPERATOR: "hotline", OTHER_OPERATOR: "partner"},
        moderator_tokens={MODERATOR: "anna", SECOND_MODERATOR: "boris"},
        redis_prefix=f"svodka-test-{uuid.uuid4().hex[:8]}:",
        position_refresh_seconds=0.05,
    )


@pytest.fixture
def serve(base_config: ApiConfig) -> Iterator[Callable[..., Served]]:
    """serve(**overrides) starts the app with those ApiConfig fields changed."""
    started: list[Served] = []

    def start(**overrides) -> Served:
        served = Served(replace(base_config, **overrides))
        started.append(served)
        return served

    yield start
    for served in started:
        served.stop()


@pytest.fixture
def api(serve) -> Served:
    return serve()


@pytest.fixture
def http(api: Served) -> httpx.Client:
    return api.client


def operator(key: str | None = None, token: str = OPERATOR) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Idempotency-Key": key or uuid.uuid4().hex}


def moderator(token: str = MODERATOR) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def detention(**changes) -> dict:
    body = {
        "kind": "detention",
        "city": "Москва",
        "occurred_at": WHEN.isoformat(),
        "detained": 3,
    }
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


def project(db, application) -> int:
    """Run the projector in-process until it has folded everything stored; its position."""
    from projections import queries, schema
    from projections.projector import Projector, connect

    async def run() -> int:
        conn = await connect(db.url, db.schema, "svodka-api-tests")
        try:
            await schema.create(conn)
            await Projector(application.mapper).catch_up(conn)
            return (await queries.as_of(conn)).position
        finally:
            await conn.close()

    return asyncio.run(run())


def settled(http: httpx.Client, position: int, path: str = "/v1/stats", **params) -> httpx.Response:
    """GET `path` once the API has seen the projection reach `position`."""
    deadline = time.monotonic() + 10
    while True:
        answer = http.get(path, params=params)
        if answer.status_code != 200 or int(answer.headers.get("x-as-of-position", -1)) >= position:
            return answer
        if time.monotonic() > deadline:
            raise AssertionError(f"the API stayed at {answer.headers.get('x-as-of-position')}, not {position}")
        time.sleep(0.02)
