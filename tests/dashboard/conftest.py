"""A real server with known figures, and headless Chromium to look at it.

The app runs in uvicorn on a loopback socket in a thread, against this test's PostgreSQL schema;
reports go in through the domain application and the projector folds them, as in production.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import pytest
import uvicorn

from playwright.sync_api import sync_playwright

from api.app import create_app
from api.context import ApiConfig
from domain.application import NewReport, Svodka
from projections import schema
from projections.projector import Projector, connect

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
MODERATOR = "moderator-test"


@dataclass
class Site:
    url: str
    application: Svodka
    project: Callable[[], None]  # run the projector until it has folded every stored event

    def submit(self, ref: str, *, verify: bool = False, reject: bool = False, **fields) -> None:
        """One report in through the domain application, moderated as asked."""
        fields.setdefault("kind", "detention")
        fields.setdefault("occurred_at", datetime.now(timezone.utc) - timedelta(hours=1))
        fields.setdefault("reporter", ref.ljust(64, "0")[:64])
        rid = self.application.submit(NewReport(channel="test", client_ref=ref, **fields)).id
        if verify:
            self.application.verify(rid, moderator=MODERATOR)
        if reject:
            self.application.reject(rid, moderator=MODERATOR, reason="a fake, checked by phone")


def _run_async(function: Callable[[], Awaitable[None]]) -> None:
    # Playwright's sync API keeps an event loop running in this thread; asyncio needs its own.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, function()).result()


def _free_socket() -> socket.socket:
    # Bound before uvicorn starts, so no other process can take the port in between.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@pytest.fixture
def config_overrides() -> dict:
    """ApiConfig fields a test sets differently (parametrize this name to override)."""
    return {}


@pytest.fixture
def site(db, pg_app, config_overrides) -> Iterator[Site]:
    application = pg_app
    projector = Projector(application.mapper)

    async def catch_up() -> None:
        conn = await connect(db.url, db.schema, "svodka-dashboard-tests")
        try:
            await schema.create(conn)
            await projector.catch_up(conn)
        finally:
            await conn.close()

    app = create_app(ApiConfig(database_url=db.url, schema=db.schema, application=application, **config_overrides))
    sock = _free_socket()
    server = uvicorn.Server(uvicorn.Config(app, log_config=None, access_log=False, lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the app did not start"
        time.sleep(0.05)
    host, port = sock.getsockname()
    try:
        yield Site(f"http://{host}:{port}", application, lambda: _run_async(catch_up))
    finally:
        server.should_exit = True
        thread.join(timeout=20)
        sock.close()


@pytest.fixture(scope="module")
def browser():
    # Module scope, not session: Playwright's sync API keeps an event loop running in this thread
    # while it is open, and the async tests that run after these could not start theirs.
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def context(browser):
    # A fixed locale, so the Accept-Language the page sees is the one each test sets.
    ctx = browser.new_context(locale="ru-RU", viewport={"width": 1280, "height": 900})
    yield ctx
    ctx.close()
