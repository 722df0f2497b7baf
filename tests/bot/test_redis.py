"""Two dispatchers (two workers) sharing one Redis: state, rate limits and redelivery are shared,
at two Redis round trips an update."""

from __future__ import annotations

import asyncio

import pytest
from redis.asyncio import ConnectionPool, Redis
from redis.asyncio.connection import Connection
from redis.exceptions import ConnectionError as RedisConnectionError

from infra.bot_part import bot_redis, pseudonymizer, wire
from tests.bot.conftest import CLOCK, Harness
from tests.bot.fake_telegram import FakeUser
from tests.isolation import REDIS_URL


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


class CountedConnection(Connection):
    """redis-py's connection, counting what it sends: one send is one round trip (a pipeline
    or a script is sent whole)."""

    sent = 0

    async def send_packed_command(self, command, check_health: bool = True) -> None:
        CountedConnection.sent += 1
        await super().send_packed_command(command, check_health)


async def test_a_whole_report_costs_two_redis_round_trips_an_update(tg, bot, memory_app, keys, read_model, redis):
    """Each was nine (lock, state, redelivery mark, prefs, rate limit, data, two writes, unlock):
    63 for this report, which held the bot to 0.62 of the flood bound with Redis."""
    _client, prefix = redis
    client = Redis(connection_pool=ConnectionPool.from_url(REDIS_URL, connection_class=CountedConnection))
    try:
        dp = wire(memory_app, keys, read_model, client, prefix=prefix, clock=lambda: CLOCK).dispatcher
        # Warm: the connection's handshake and the scripts' first load are not per update.
        await Harness(tg, dp, bot, memory_app, FakeUser(tg, 6_660_010)).say("/report")
        h = Harness(tg, dp, bot, memory_app, FakeUser(tg, 6_660_011))
        before = CountedConnection.sent
        await h.detention_summary(description=None)  # 6 updates
        assert "сохранён" in await h.tap("Подтвердить")
        # 7 updates, two trips each, and the last city kept for next time.
        assert CountedConnection.sent - before == 7 * 2 + 1
    finally:
        await client.aclose()


async def test_a_double_tap_reaching_two_workers_at_once_is_handled_one_after_the_other(
    tg, bot, memory_app, keys, shared
):
    _client, _prefix, (one, two) = shared
    user = FakeUser(tg, 6_660_004)
    a, b = Harness(tg, one, bot, memory_app, user), Harness(tg, two, bot, memory_app, user)
    await a.detention_summary(description=None)
    confirm, again = user.press("Подтвердить"), user.press("Подтвердить")
    await asyncio.gather(a.send(confirm), b.send(again))
    assert len(a.reports()) == 1
    answers = [c.params.get("text") or "" for c in tg.answers()[-2:]]
    assert not any("старого" in text for text in answers)  # the later tap saw the confirmed report
    assert not [c for c in tg.calls if "пошло не так" in str(c.params.get("text", ""))]


async def test_an_update_reaching_two_workers_at_once_is_handled_once(tg, bot, memory_app, keys, shared):
    _client, _prefix, (one, two) = shared
    user = FakeUser(tg, 6_660_005)
    a, b = Harness(tg, one, bot, memory_app, user), Harness(tg, two, bot, memory_app, user)
    update = tg.stamp(user.text("/report"))
    await asyncio.gather(a.send(update), b.send(update))
    assert len(tg.to_chat(user.id, "sendMessage")) == 1


async def test_with_redis_unreachable_a_tap_is_answered_and_the_apology_is_in_telegrams_language(
    tg, bot, memory_app, keys, read_model
):
    nobody = Redis.from_url("redis://127.0.0.1:9/0")  # discard port: connection refused
    try:
        dp = wire(memory_app, keys, read_model, nobody, clock=lambda: CLOCK).dispatcher
        h = Harness(tg, dp, bot, memory_app, FakeUser(tg, 6_660_006, language_code="en"))
        assert await h.say("/report") == "Something went wrong on our side. Please try again."
        tap = h.user.press(data="lang:en", message_id=1)
        assert await h.send_and_text(tap) == "Something went wrong on our side. Please try again."
        assert [c.params["callback_query_id"] for c in tg.answers()] == [tap["callback_query"]["id"]]
    finally:
        await nobody.aclose()
    assert "Traceback" not in str(tg.calls)


class LosesAReply(Connection):
    """A connection that, once armed, reads the reply of its next command, then fails as a
    connection that read end-of-file: the command ran, the bot never hears so, and the pool
    tries it again (as happened under the surge: a step stalled for the lock's whole minute)."""

    armed_for = 0  # lose the reply of this command from now (1: the next one); 0: none

    async def read_response(self, *args, **kwargs):
        response = await super().read_response(*args, **kwargs)
        if LosesAReply.armed_for:
            LosesAReply.armed_for -= 1
            if LosesAReply.armed_for == 0:
                self._reader = None  # as a dropped socket leaves it
                raise RedisConnectionError("reply lost")
        return response


@pytest.mark.parametrize("lost", [1, 2], ids=["going in", "coming out"])
async def test_a_redis_reply_lost_mid_update_is_retried_and_the_step_still_lands(
    tg, bot, memory_app, keys, read_model, redis, lost
):
    _client, prefix = redis
    client = bot_redis(REDIS_URL, 4, connection_class=LosesAReply)
    try:
        dp = wire(memory_app, keys, read_model, client, prefix=prefix, clock=lambda: CLOCK).dispatcher
        h = Harness(tg, dp, bot, memory_app, FakeUser(tg, 6_660_007))
        await h.say("/report")
        LosesAReply.armed_for = lost
        async with asyncio.timeout(20):  # the lock it took on the first try would hold it for 60 s
            assert "Где" in await h.tap("Задержание")
        assert LosesAReply.armed_for == 0
        assert "Когда" in await h.say("Москва")  # the step was kept, and the lock let go
    finally:
        LosesAReply.armed_for = 0
        await client.aclose()
