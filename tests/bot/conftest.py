"""Bot fixtures: the fake Bot API on loopback, a real aiogram Bot pointed at it, and svodka's dispatcher."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import uuid

import pytest
from redis.asyncio import Redis

from bot.outgoing import FloodControl
from bot.views import COUNT_BUTTONS
from domain.report import Report
from infra.bootstrap import build_application
from infra.bot_part import make_bot, wire
from infra.crypto import MemoryKeyStore
from tests.bot.fake_telegram import TOKEN, FakeTelegram, FakeUser
from tests.isolation import REDIS_URL

# 15:00 in Moscow: "earlier today" has a morning, and nothing here is in the future.
CLOCK = datetime(2026, 11, 24, 12, 0, tzinfo=timezone.utc)


@dataclass
class FakeReadModel:
    """Stands in for the projections' read port (a port fake, not svodka code)."""

    checkpoints: list[Any] = field(default_factory=list)
    asked: list[tuple[float, float]] = field(default_factory=list)
    broken: bool = False

    async def __call__(self, lat: float, lon: float) -> list[Any]:
        self.asked.append((lat, lon))
        if self.broken:
            raise ConnectionError("read model down")
        return self.checkpoints


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    server = FakeTelegram()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def memory_app(keys):
    application = build_application(keys, None, MemoryKeyStore())
    yield application
    application.close()


@pytest.fixture
def read_model() -> FakeReadModel:
    return FakeReadModel()


def unlimited() -> FloodControl:
    """Tests drive one chat far faster than a person; the flood limits have tests of their own."""
    return FloodControl(per_second=10_000, burst=1_000, per_chat_per_second=10_000, chat_burst=1_000)


@pytest.fixture
async def bot(tg):
    telegram = make_bot(TOKEN, tg.url, unlimited())
    yield telegram
    await telegram.session.close()


@dataclass
class Harness:
    """One reporter talking to svodka's dispatcher through the real aiogram stack."""

    tg: FakeTelegram
    dp: Any
    bot: Any
    app: Any
    user: FakeUser

    async def send(self, update: dict[str, Any]) -> None:
        await self.dp.feed_raw_update(self.bot, self.tg.stamp(update))

    async def say(self, text: str) -> str:
        await self.send(self.user.text(text))
        return self.tg.last_text(self.user.id)

    async def send_and_text(self, update: dict[str, Any]) -> str:
        await self.send(update)
        return self.tg.last_text(self.user.id)

    async def tap(self, label: str) -> str:
        await self.send(self.user.press(label))
        return self.tg.last_text(self.user.id)

    async def detention_summary(
        self, *, city: str = "Москва", count: str = "3", description: str | None = "Автозак у метро"
    ) -> str:
        """A Russian detention report up to its summary: a typed city, taps, and a count typed
        unless a button offers it."""
        await self.say("/report")
        await self.tap("Задержание")
        await self.say(city)
        await self.tap("Сейчас")
        await (self.tap(count) if int(count) in COUNT_BUTTONS else self.say(count))
        return await (self.tap("Пропустить") if description is None else self.say(description))

    def last_answer(self) -> dict[str, Any]:
        return self.tg.answers()[-1].params

    def reports(self) -> list[Report]:
        """Every report in the event store, in the order first stored."""
        ids = dict.fromkeys(n.originator_id for n in self.app.recorder.select_notifications(start=1, limit=1000))
        found = [self.app.repository.get(i) for i in ids]
        return [r for r in found if isinstance(r, Report)]


class PollingHarness(Harness):
    """The same reporter, but the bot fetches their updates by polling; each step waits for its reply."""

    async def send(self, update: dict[str, Any]) -> None:
        seen = len(self.tg.calls)
        callback = update.get("callback_query", {}).get("id")
        await self.tg.push(update)

        def replied(calls: list[Any]) -> bool:
            new = calls[seen:]
            to_chat = any(int(c.params.get("chat_id", 0)) == self.user.id and "delete" not in c.method for c in new)
            if callback is None:
                return to_chat
            # A tap is answered first, then its panel is edited, unless the answer said it all.
            answers = [c for c in new if c.method == "answerCallbackQuery" and c.params["callback_query_id"] == callback]
            return bool(answers) and (to_chat or bool(answers[0].params.get("show_alert")))

        await self.tg.wait_for(replied)


@pytest.fixture
async def redis() -> AsyncIterator[tuple[Redis, str]]:
    """A real Redis (test db 15), and a key prefix no other test uses; its keys are removed after."""
    client = Redis.from_url(REDIS_URL)
    prefix = f"svodka-test-{uuid.uuid4().hex[:8]}"
    yield client, prefix
    async for key in client.scan_iter(f"{prefix}:*"):
        await client.delete(key)
    await client.aclose()


@pytest.fixture
def store_app(pg_app):
    return pg_app


@pytest.fixture
def harness(tg, bot, memory_app, keys, read_model) -> Harness:
    dp = wire(memory_app, keys, read_model, None, clock=lambda: CLOCK).dispatcher
    return Harness(tg, dp, bot, memory_app, FakeUser(tg, 5_550_001))
