"""Checkpoint alerts for reporters who ask: /alerts in the bot, alerts decided by the outbox follower,
sent by the alert sender through the loopback Bot API; 403 unsubscribes, forget deletes."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from bot.i18n import load_i18n
from domain.application import NewReport
from infra.alert_subscriptions import SealedSubscriptions
from infra.bot_part import make_bot, pseudonymizer, wire
from infra.outbox.alerts import AlertSender
from tests.bot.conftest import FakeReadModel, Harness, unlimited
from tests.bot.fake_telegram import TOKEN, FakeUser
from tests.outbox.conftest import settle

ANNA, BORIS, VERA = 5_550_001, 5_550_002, 5_550_003


@pytest.fixture
async def subscriptions(application, db):
    kept = SealedSubscriptions(application, db)
    yield kept
    await kept.close()


@pytest.fixture
async def alert_bot(telegram):
    bot = make_bot(TOKEN, telegram.url, unlimited())
    yield bot
    await bot.session.close()


@pytest.fixture
def alert_sender(alert_bot, application) -> AlertSender:
    return AlertSender(alert_bot, application.vault, application.gazetteer, load_i18n(), retry=timedelta(milliseconds=50))


@pytest.fixture
def people(telegram, alert_bot, application, keys, subscriptions):
    dp = wire(application, keys, FakeReadModel(), None, alerts=subscriptions).dispatcher

    def person(uid: int, lang: str = "ru") -> Harness:
        return Harness(telegram, dp, alert_bot, application, FakeUser(telegram, uid, language_code=lang))

    return person


def checkpoint(ref: str, lat: float = 51.7312, lon: float = 36.1934) -> NewReport:
    return NewReport(kind="checkpoint", channel="t", client_ref=ref, occurred_at=datetime.now(timezone.utc),
                     lat=lat, lon=lon, reporter="submitter")  # fmt: skip


def alerts_to(telegram, chat: int, mark: str = "🚧") -> list[str]:
    return [c.params["text"] for c in telegram.to_chat(chat, "sendMessage") if c.params["text"].startswith(mark)]


async def drain(sender, pool) -> None:
    while await sender.drain(pool):
        pass


async def test_subscribers_get_one_alert_per_credible_checkpoint_and_gone_when_it_ends(
    application, conn, pool, follower, telegram, people, alert_sender, keys
):
    anna, boris, vera = people(ANNA), people(BORIS, "en"), people(VERA)
    await anna.say("/alerts")
    assert "Курск" in await anna.say("Курск")
    assert "Подписка оформлена: Курск" in await anna.tap("🔔 Курск")
    await boris.say("/alerts")
    await boris.say("Kursk")
    assert "Subscribed: Kursk Oblast" in await boris.tap("All of")
    await vera.say("/alerts")
    await vera.say("Москва")
    await vera.tap("🔔 Москва")
    # Kept under references, the chat sealed: no Telegram id nor pseudonym in any row.
    kept = [dict(r) for r in await conn.fetch("SELECT * FROM alert_subscribers")]
    pseudonym = pseudonymizer(keys)
    assert len(kept) == 3
    for row in kept:
        for uid in (ANNA, BORIS, VERA):
            assert str(uid) not in str(row) and pseudonym(uid) not in str(row)

    rid = application.submit(checkpoint("cp")).id
    application.confirm_checkpoint(rid, by="first")
    await settle(conn, application, follower)
    assert await conn.fetchval("SELECT count(*) FROM outbox WHERE kind = 'alert'") == 0  # one confirmation
    application.confirm_checkpoint(rid, by="second")
    await settle(conn, application, follower)
    application.verify(rid, moderator="mila")  # credible again: still one alert each
    application.confirm_checkpoint(rid, by="third")
    await settle(conn, application, follower)
    await drain(alert_sender, pool)
    [to_anna], [to_boris] = alerts_to(telegram, ANNA), alerts_to(telegram, BORIS)
    assert alerts_to(telegram, VERA) == []  # Moscow is not Kursk
    assert "Курск" in to_anna and "1 км от 51.73, 36.20" in to_anna  # the published ~1 km cell
    assert "51.7312" not in to_anna and "36.1934" not in to_anna
    assert "confirmed by two people" in to_boris and "Kursk" in to_boris
    outbox = [dict(r) for r in await conn.fetch("SELECT target, body, state FROM outbox WHERE kind = 'alert'")]
    assert {r["state"] for r in outbox} == {"sent"} and len(outbox) == 2
    assert not any(str(uid) in str(outbox) for uid in (ANNA, BORIS))

    # The alert's own buttons vote; one stranger's "gone" does not end it, a second one does.
    await anna.tap("Уже нет")
    assert anna.last_answer()["text"] == "Спасибо, учтено."
    await anna.tap("Уже нет")  # a double tap on the alert: counted once, and told so
    assert anna.last_answer()["text"] == "Вы уже отметили, что блокпоста больше нет; ваш голос учитывается один раз."
    await settle(conn, application, follower)
    await drain(alert_sender, pool)
    assert alerts_to(telegram, ANNA, "✅") == []
    await boris.tap("Gone")
    await settle(conn, application, follower)
    await drain(alert_sender, pool)
    assert len(alerts_to(telegram, ANNA, "✅ Блокпоста больше нет")) == 1
    assert len(alerts_to(telegram, BORIS, "✅ The checkpoint in Kursk")) == 1
    assert alerts_to(telegram, VERA, "✅") == []


async def test_a_blocked_bot_unsubscribes_and_unsubscribing_or_forgetting_stops_alerts(
    application, conn, pool, follower, telegram, people, alert_sender, subscriptions
):
    anna, boris, vera = people(ANNA), people(BORIS), people(VERA)
    for person in (anna, boris, vera):
        await person.say("/alerts")
        await person.say("Курск")
        await person.tap("Весь регион")
    telegram.blocked.add(BORIS)
    first = application.submit(checkpoint("one")).id
    application.verify(first, moderator="mila")
    await settle(conn, application, follower)
    await drain(alert_sender, pool)
    assert len(alerts_to(telegram, ANNA)) == len(alerts_to(telegram, VERA)) == 1
    assert await conn.fetchval("SELECT state FROM outbox WHERE kind = 'alert' AND last_error LIKE '%blocked%'") == "given_up"
    assert await conn.fetchval("SELECT count(*) FROM alert_subscribers") == 2  # Boris is unsubscribed

    await anna.say("/alerts")
    assert "Подписка отменена" in await anna.tap("Отключить")
    await vera.say("/forget")
    await vera.tap("Да, стереть")
    assert await conn.fetchval("SELECT count(*) FROM alert_subscribers") == 0
    # Anna's record of being alerted stays (so resubscribing never repeats an alert); Vera's went with her key.
    assert await conn.fetchval("SELECT count(*) FROM checkpoint_alerts") == 1
    second = application.submit(checkpoint("two", lat=51.75)).id
    application.verify(second, moderator="mila")
    await settle(conn, application, follower)
    await drain(alert_sender, pool)
    assert len(alerts_to(telegram, ANNA)) == len(alerts_to(telegram, VERA)) == 1


async def test_a_moderators_forget_drops_the_subscription_and_pending_alerts(
    application, conn, pool, follower, telegram, people, alert_sender
):
    anna = people(ANNA)
    await anna.say("/alerts")
    await anna.say("Курск")
    await anna.tap("🔔 Курск")
    rid = application.submit(checkpoint("cp")).id
    application.verify(rid, moderator="mila")
    await settle(conn, application, follower)
    reference = await conn.fetchval("SELECT reference FROM alert_subscribers")
    assert await conn.fetchval("SELECT count(*) FROM outbox WHERE state = 'pending' AND kind = 'alert'") == 1
    application.forget_reference(reference, by="moderator:mila")
    await settle(conn, application, follower)
    for table in ("alert_subscribers", "alert_subscriptions", "checkpoint_alerts"):
        assert await conn.fetchval(f"SELECT count(*) FROM {table}") == 0, table
    assert await conn.fetchval("SELECT count(*) FROM outbox WHERE kind = 'alert'") == 0
    await drain(alert_sender, pool)
    assert alerts_to(telegram, ANNA) == []


async def test_alerts_follow_the_language_chosen_with_lang_after_subscribing(
    application, conn, pool, follower, telegram, people, alert_sender
):
    anna = people(ANNA)  # Telegram says Russian, and she subscribes in Russian
    await anna.say("/alerts")
    await anna.say("Курск")
    assert "Подписка оформлена: Курск" in await anna.tap("🔔 Курск")
    queued = application.submit(checkpoint("before")).id
    application.verify(queued, moderator="mila")
    await settle(conn, application, follower)  # decided while she was Russian, not sent yet

    await anna.say("/lang")
    assert "Language set: English" in await anna.tap("English")
    await drain(alert_sender, pool)
    [first] = alerts_to(telegram, ANNA)
    assert first.startswith("🚧 Checkpoint in Kursk") and "verified by a moderator" in first
    later = application.submit(checkpoint("after", lat=51.75)).id
    application.verify(later, moderator="mila")
    await settle(conn, application, follower)
    await drain(alert_sender, pool)
    assert alerts_to(telegram, ANNA)[1].startswith("🚧 Checkpoint in Kursk")
    assert await conn.fetchval("SELECT lang FROM alert_subscribers") == "en"  # and only the language changed
    assert str(ANNA) not in str([dict(r) for r in await conn.fetch("SELECT * FROM alert_subscribers")])
