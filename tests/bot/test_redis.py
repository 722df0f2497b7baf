"""Two dispatchers (two workers) sharing one Redis: state, rate limits and redelivery are shared."""

from __future__ import annotations

import pytest

from infra.bot_part import pseudonymizer, wire
from tests.bot.conftest import CLOCK, Harness
from tests.bot.fake_telegram import FakeUser


@pytest.fixture
def shared(memory_app, keys, read_model, redis):
    client, prefix = redis
    workers = [
        wire(memory_app, keys, read_model, client, prefix=prefix, throttle_limit=12, clock=lambda: CLOCK).dispatcher
        for _ in range(2)
    ]
    return client, prefix, workers


async def test_a_conversation_moves_between_workers(tg, bot, memory_app, keys, shared):
    client, prefix, (one, two) = shared
    user = FakeUser(tg, 6_660_001)
    a, b = Harness(tg, one, bot, memory_app, user), Harness(tg, two, bot, memory_app, user)
    await a.say("/report")
    await b.tap("Задержание")
    await a.say("Москва")
    await b.tap("Сейчас")
    await a.tap("3")
    await b.tap("Пропустить")
    assert "сохранён" in await a.tap("Подтвердить")
    [report] = a.reports()
    assert report.detained == 3
    # The state lives in Redis under hashed keys with a TTL, never the raw ids.
    keys_seen = [k.decode() async for k in client.scan_iter(f"{prefix}:*")]
    assert keys_seen and not any(str(user.id) in k for k in keys_seen)
    # Language and last city follow the reporter to any worker.
    await b.say("/report")
    await a.tap("Задержание")
    assert "Снова Москва" in str(tg.to_chat(user.id)[-1].params["reply_markup"])


async def test_state_expires_when_abandoned(tg, bot, memory_app, keys, shared):
    client, prefix, (one, _two) = shared
    user = FakeUser(tg, 6_660_002)
    await Harness(tg, one, bot, memory_app, user).say("/report")
    ttls = [await client.ttl(k) async for k in client.scan_iter(f"{prefix}:fsm:*")]
    assert ttls and all(0 < t <= 3600 for t in ttls)  # /privacy: at most an hour


async def test_rate_limits_and_redelivery_are_shared(tg, bot, memory_app, keys, shared):
    client, prefix, (one, two) = shared
    user = FakeUser(tg, 6_660_003)
    a, b = Harness(tg, one, bot, memory_app, user), Harness(tg, two, bot, memory_app, user)
    update = user.text("/help")
    await a.send(update)
    calls = len(tg.calls)
    await b.send(update)  # the same update_id reaching the other worker
    assert len(tg.calls) == calls
    for n in range(11):
        await (a if n % 2 else b).say("/help")
    assert "слишком часто" in await a.say("/help")  # the 13th, counted across both workers
    calls = len(tg.calls)
    await b.say("/help")
    assert len(tg.calls) == calls
    assert pseudonymizer(keys)(user.id) not in str([k async for k in client.scan_iter(f"{prefix}:*")])
