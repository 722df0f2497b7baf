"""Outbox fixtures: a loopback webhook receiver, the loopback Bot API, the follower and the sender."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import os
from datetime import timedelta
from functools import partial

import asyncpg
import pytest
from aiohttp import web

from infra.bot_part import make_bot
from infra.outbox.sender import Sender
from infra.outbox.signing import partner_secret
from projections import outbox_store, schema
from projections.outbox import Follower, Outward
from projections.projector import Projector, connect
from tests.api.conftest import base_config, http, serve  # noqa: F401 - fixtures shared with the API tests
from tests.bot.fake_telegram import TOKEN, FakeTelegram

CHANNEL = "-1001234567890"


def verify_signature(secret: str, headers, body: bytes, now: float, tolerance: float = 300) -> bool:
    """README's recipe, written out independently of svodka's code."""
    timestamp = headers["X-Svodka-Timestamp"]
    expected = "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, headers["X-Svodka-Signature"]) and abs(now - int(timestamp)) <= tolerance


class Receiver:
    """A partner's endpoint on loopback: records every delivery; `down` answers 503."""

    def __init__(self) -> None:
        self.received: list[tuple[dict, bytes, dict]] = []  # (headers, body, parsed)
        self.down = False
        self.url = ""
        self._runner: web.AppRunner | None = None

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/hook", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}/hook"  # type: ignore[union-attr]
        return self.url

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        if self.down:
            return web.Response(status=503)
        self.received.append((dict(request.headers), body, json.loads(body)))
        return web.Response(status=204)

    def deliveries(self) -> list[str]:
        return [parsed["delivery"] for _, _, parsed in self.received]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


@pytest.fixture
def application(pg_app):
    return pg_app


@pytest.fixture
async def receiver():
    r = Receiver()
    await r.start()
    yield r
    await r.stop()


@pytest.fixture
async def telegram():
    fake = FakeTelegram()
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def conn(db):
    connection = await connect(db.url, db.schema, "svodka-outbox-tests")
    await schema.create(connection)
    await outbox_store.create(connection)
    yield connection
    await connection.close()


@pytest.fixture
async def pool(db):
    p = await asyncpg.create_pool(db.url, min_size=1, max_size=4, server_settings={"search_path": f"{db.schema},public"})
    yield p
    await p.close()


@pytest.fixture
def partner_key() -> bytes:
    return os.urandom(32)


@pytest.fixture
def api(serve, partner_key):
    """The API with webhooks on, signing with this test's key."""
    return serve(webhook_secret=partial(partner_secret, partner_key))


@pytest.fixture
async def sender(telegram, partner_key):
    bot = make_bot(TOKEN, telegram.url)
    yield Sender(partner_key, bot, retry=timedelta(milliseconds=50), give_up=timedelta(hours=24))
    await bot.session.close()


@pytest.fixture
def follower(application) -> Follower:
    outward = Outward(channel=CHANNEL, language="ru", debounce=timedelta(seconds=30))
    return Follower(application.mapper, application.gazetteer, outward)


async def settle(conn, application, follower: Follower) -> None:
    await Projector(application.mapper).catch_up(conn)
    await follower.catch_up(conn)


async def drain_until(sender: Sender, pool, done, rounds: int = 1000) -> None:
    for _ in range(rounds):
        await sender.drain(pool)
        if done():
            return
        await asyncio.sleep(0.03)
    raise AssertionError("the sender did not get there")
