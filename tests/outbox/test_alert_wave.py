"""An alert wave to 10,000 subscribers through a loopback Bot API that enforces the flood limits and
answers some calls 429: every subscriber gets exactly one alert, every Retry-After is waited out, and
a reporter talking to the bot during the wave is answered ahead of the alerts still waiting.

Telegram's limits (30/s overall, 1/s per chat) scaled up tenfold overall, so the same shape runs in
a tenth of the time (bench/alerts_fanout.py runs the real 30/s)."""

from __future__ import annotations

import asyncio

import pytest

from bot.i18n import load_i18n
from aiogram.methods import SendMessage

from bot.outgoing import FloodControl, in_background
from infra.alert_subscriptions import SealedSubscriptions
from infra.bootstrap import build_application
from infra.bot_part import make_bot, wire
from infra.crypto import MemoryKeyStore
from infra.outbox.alerts import AlertSender
from projections import outbox_store, schema
from projections.outbox import Follower, Outward
from projections.projector import connect
from tests.bot.conftest import FakeReadModel, Harness
from tests.bot.fake_telegram import TOKEN, FakeTelegram, FakeUser, FloodLimits
from tests.outbox.wave import Alerts, make_credible, subscribe

SCALE = 10  # Telegram's 30 messages a second overall, times this; 1 a second per chat as Telegram
SUBSCRIBERS = 10_000
FIRST_CHAT = 7_000_000
# Telegram's real rate is 30 a second: fewer alerts than that between a reporter's message and its
# answer means the answer came within a second of a real wave, whatever this machine's speed.
A_SECOND_OF_ALERTS = 30


async def test_a_reporters_reply_goes_before_the_background_calls_already_waiting():
    flood = FloodControl(per_second=50, burst=1)
    order: list[int] = []

    async def make_request(bot, method):
        order.append(method.chat_id)
        return True

    async def alert(chat: int) -> None:
        with in_background():
            await flood(make_request, None, SendMessage(chat_id=chat, text="🚧"))

    wave = [asyncio.create_task(alert(1_000 + n)) for n in range(20)]
    while len(order) < 3:
        await asyncio.sleep(0.01)
    waiting = len(order)
    await flood(make_request, None, SendMessage(chat_id=42, text="reply"))
    await asyncio.gather(*wave)
    assert len(order) == 21
    assert order.index(42) <= waiting + 1  # at most the one alert already woken for the free slot


@pytest.mark.slow
async def test_every_subscriber_gets_one_alert_and_a_reporter_is_answered_first(db, keys):
    # The key store in memory: 10,000 reporters' keys are made in seconds; the rest is on PostgreSQL.
    app = build_application(keys, db, MemoryKeyStore())
    tg = FakeTelegram(limits=FloodLimits(per_second=30 * SCALE, burst=30 * SCALE))
    await tg.start()
    bot = make_bot(TOKEN, tg.url, FloodControl(per_second=29 * SCALE))  # production's margin, scaled
    subscriptions = SealedSubscriptions(app, db)
    dp = wire(app, keys, FakeReadModel(), None, alerts=subscriptions).dispatcher
    sender = AlertSender(bot, app.vault, app.gazetteer, load_i18n())
    conn = await connect(db.url, db.schema, "svodka-wave-test")
    sending = None
    try:
        await schema.create(conn)
        await outbox_store.create(conn)
        await subscribe(app, conn, keys, range(FIRST_CHAT, FIRST_CHAT + SUBSCRIBERS))
        alerts = Alerts()
        tg.on_call = alerts
        tg.refuse_share(0.01, retry_after=1)  # and some 429s whatever the rate
        await make_credible(app, conn, Follower(app.mapper, app.gazetteer, Outward()))
        assert await conn.fetchval("SELECT count(*) FROM outbox WHERE kind = 'alert'") == SUBSCRIBERS
        sending = asyncio.create_task(sender.run(db.url, db.schema))

        await alerts.reached(SUBSCRIBERS // 5, timeout=600)
        tg.refuse_share(0)  # a random 429 on the reporter's own reply would be a wait Telegram asked for
        reporter = Harness(tg, dp, bot, app, FakeUser(tg, 42))
        for step in (lambda u: u.text("/report"), lambda u: u.press("Задержание"), lambda u: u.text("Курск")):
            before = alerts.total
            await reporter.send(step(reporter.user))
            assert alerts.total - before < A_SECOND_OF_ALERTS
        assert "Когда" in tg.last_text(42)  # the report went on: asked when, after where
        assert alerts.total < SUBSCRIBERS // 2  # it really was during the wave
        tg.refuse_share(0.01, retry_after=1)

        await alerts.reached(SUBSCRIBERS, timeout=1200)
        await asyncio.sleep(0.5)  # anything sent twice would arrive now
        assert len(alerts.per_chat) == SUBSCRIBERS and set(alerts.per_chat.values()) == {1}
        assert set(alerts.per_chat) == set(range(FIRST_CHAT, FIRST_CHAT + SUBSCRIBERS))
        states = dict(await conn.fetch("SELECT state, count(*) FROM outbox WHERE kind = 'alert' GROUP BY state"))
        assert states == {"sent": SUBSCRIBERS}
        # Every 429 was waited out: that chat's next call came no sooner than Telegram said.
        refused = [c for c in tg.refused if c.method == "sendMessage"]
        assert len(refused) > 10
        for call in refused:
            chat = int(call.params["chat_id"])
            later = [c.at for c in tg.to_chat(chat, "sendMessage") if c.at > call.at]
            assert later and min(later) >= call.at + 1, chat
    finally:
        if sending is not None:
            sending.cancel()
            await asyncio.gather(sending, return_exceptions=True)
        await conn.close()
        await subscriptions.close()
        await bot.session.close()
        await tg.stop()
        app.close()
