"""The outbox end to end: channel posts on the loopback Bot API, signed partner deliveries on a loopback
receiver, in order per partner after an outage, given up after the retry period, and on /metrics."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta, timezone
from uuid import UUID

from typer.testing import CliRunner

from domain.application import NewReport
from domain.bulletin import Schedule
from infra.scheduler import Scheduler
from tests.api.conftest import MODERATOR, moderator
from tests.bulletins.conftest import TIMES, FakeClock
from tests.outbox.conftest import CHANNEL, drain_until, settle, verify_signature

NOON = datetime.now(timezone.utc).replace(hour=9, minute=0, second=0, microsecond=0) - timedelta(days=1)  # 12:00 MSK


async def publish(application, conn, follower, hours_after_noon: int = 0) -> UUID:
    clock = FakeClock(NOON + timedelta(hours=hours_after_noon))
    scheduler = Scheduler(app=application, schedule=Schedule(TIMES, "Europe/Moscow"), clock=clock)
    bid = await scheduler.tick(conn)
    assert bid is not None
    await settle(conn, application, follower)
    return bid


def register(http, url: str, topics=("bulletins",), regions=()) -> dict:
    answer = http.post("/v1/webhooks", json={"url": url, "topics": list(topics), "regions": list(regions)},
                       headers=moderator())
    assert answer.status_code == 201, answer.text
    return answer.json()


async def test_a_bulletin_is_posted_to_the_channel_once_with_its_message_id_kept(
    application, conn, follower, sender, pool, telegram
):
    application.submit(NewReport(kind="detention", channel="t", client_ref="1", occurred_at=NOON - timedelta(hours=1),
                                 city="Москва", detained=2))  # fmt: skip
    await settle(conn, application, follower)
    await publish(application, conn, follower)
    await drain_until(sender, pool, lambda: telegram.to_chat(int(CHANNEL)))
    for _ in range(3):
        await sender.drain(pool)
    posts = telegram.to_chat(int(CHANNEL))
    assert len(posts) == 1 and posts[0].params["text"].startswith("Сводка на 12:00 MSK")
    row = await conn.fetchrow("SELECT state, message_id, attempts FROM outbox WHERE kind = 'telegram'")
    assert tuple(row) == ("sent", 1, 1)


async def test_a_partner_gets_signed_deliveries_it_can_verify(application, conn, follower, sender, pool, receiver,
                                                              http, partner_key):
    hook = register(http, receiver.url)
    assert hook["secret"].startswith("whsec_")
    await settle(conn, application, follower)
    bid = await publish(application, conn, follower)
    await drain_until(sender, pool, lambda: receiver.received)
    headers, body, parsed = receiver.received[0]
    assert verify_signature(hook["secret"], headers, body, time.time())
    assert not verify_signature(hook["secret"], headers, body + b" ", time.time())
    assert not verify_signature("whsec_other", headers, body, time.time())
    assert not verify_signature(hook["secret"], headers, body, time.time() + 3600)  # replayed an hour later
    assert parsed["type"] == "bulletin" and parsed["data"]["id"] == str(bid)
    assert headers["X-Svodka-Delivery"] == parsed["delivery"]
    bulletin = application.bulletin(bid)
    assert parsed["as_of"]["position"] == bulletin.as_of_position
    assert set(parsed["data"]["text"]) == {"ru", "en"}
    listed = http.get("/v1/webhooks", headers=moderator()).json()["webhooks"]
    assert [(w["id"], w["status"], w["sent"], w["pending"]) for w in listed] == [(hook["id"], "active", 1, 0)]
    assert "secret" not in listed[0]


def test_registering_needs_a_moderator_and_a_sane_body(http):
    body = {"url": "https://partner.example/hook", "topics": ["bulletins"]}
    assert http.post("/v1/webhooks", json=body).status_code == 401
    for bad, field in (({"url": "ftp://x.example/a", "topics": ["bulletins"]}, "url"),
                       ({"url": "https://x.example/a", "topics": ["weather"]}, "topics"),
                       ({"url": "https://x.example/a", "topics": ["figures"], "regions": ["RU-XXX"]}, "region")):
        answer = http.post("/v1/webhooks", json=bad, headers=moderator())
        assert answer.status_code == 422, answer.text
        assert field in (answer.json()["error"]["field"] or "")
    missing = "00000000-0000-0000-0000-000000000000"
    assert http.delete(f"/v1/webhooks/{missing}", headers=moderator()).status_code == 404


async def test_a_partner_down_for_a_while_gets_everything_later_in_order(
    application, conn, follower, sender, pool, receiver, http
):
    register(http, receiver.url, topics=("bulletins", "checkpoints"))
    await settle(conn, application, follower)
    receiver.down = True
    await publish(application, conn, follower)
    checkpoint = application.submit(NewReport(kind="checkpoint", channel="t", client_ref="cp",
                                              occurred_at=datetime.now(timezone.utc), lat=51.73, lon=36.19))
    application.verify(checkpoint.id, moderator="anna")
    await settle(conn, application, follower)
    await publish(application, conn, follower, hours_after_noon=6)
    for _ in range(4):  # failing, backing off
        await sender.drain(pool)
        time.sleep(0.06)
    attempts = await conn.fetchval("SELECT attempts FROM outbox WHERE kind = 'webhook' ORDER BY id LIMIT 1")
    assert attempts >= 2
    assert await conn.fetchval("SELECT max(attempts) FROM outbox WHERE kind = 'webhook' AND id > "
                               "(SELECT min(id) FROM outbox WHERE kind = 'webhook')") == 0  # the rest wait their turn
    receiver.down = False
    expected = [r["delivery"] for r in await conn.fetch("SELECT delivery FROM outbox WHERE kind = 'webhook' ORDER BY id")]
    await drain_until(sender, pool, lambda: len(receiver.received) == 3)
    assert receiver.deliveries() == [str(d) for d in expected]
    assert [p["type"] for _, _, p in receiver.received] == ["bulletin", "checkpoint.credible", "bulletin"]
    alert = receiver.received[1][2]["data"]
    assert alert["region"] == "RU-KRS" and alert["why"] == "verified" and alert["since"].endswith(":00+00:00")
    metrics = http.get("/metrics").text
    assert "svodka_outbox_depth 0.0" in metrics
    assert 'svodka_outbox_deliveries_total{kind="webhook",outcome="sent"} 3.0' in metrics
    assert 'svodka_outbox_deliveries_total{kind="webhook",outcome="failed"}' in metrics


async def test_after_the_retry_period_a_delivery_is_given_up_and_the_webhook_marked_failing(
    application, conn, follower, sender, pool, receiver, http, db, monkeypatch
):
    hook = register(http, receiver.url)
    await settle(conn, application, follower)
    receiver.down = True
    await publish(application, conn, follower)
    metrics = http.get("/metrics").text
    assert "svodka_outbox_depth 2.0" in metrics  # the channel post and the delivery
    sender.give_up = timedelta(milliseconds=200)
    time.sleep(0.25)
    for _ in range(5):
        await sender.drain(pool)
        time.sleep(0.05)
    assert await conn.fetchval("SELECT state FROM outbox WHERE kind = 'webhook'") == "given_up"
    listed = http.get("/v1/webhooks", headers=moderator()).json()["webhooks"]
    assert listed[0]["status"] == "failing" and listed[0]["given_up"] == 1
    for name, value in {"DATABASE_URL": db.url, "SVODKA_DB_SCHEMA": db.schema, "SVODKA_SECRET": "s" * 40,
                        "SVODKA_MASTER_KEY": "A" * 43 + "="}.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    from infra.cli import cli

    shown = await asyncio.to_thread(CliRunner().invoke, cli, ["webhooks"])  # it runs its own event loop
    assert shown.exit_code == 0, shown.output
    assert hook["id"] in shown.output and "failing" in shown.output and "given up 1" in shown.output
    # Back up: the next delivery goes through and the webhook is active again.
    receiver.down = False
    sender.give_up = timedelta(hours=24)
    await publish(application, conn, follower, hours_after_noon=6)
    await drain_until(sender, pool, lambda: receiver.received)
    listed = http.get("/v1/webhooks", headers=moderator()).json()["webhooks"]
    assert listed[0]["status"] == "active"
    assert "svodka_outbox_deliveries_total" in http.get("/metrics").text


async def test_a_removed_webhook_gets_nothing_more(application, conn, follower, sender, pool, receiver, http):
    hook = register(http, receiver.url)
    assert http.delete(f"/v1/webhooks/{hook['id']}", headers=moderator()).status_code == 204
    assert http.delete(f"/v1/webhooks/{hook['id']}", headers=moderator()).status_code == 409
    await settle(conn, application, follower)
    await publish(application, conn, follower)
    for _ in range(3):
        await sender.drain(pool)
    assert receiver.received == []
    assert http.get("/v1/webhooks", headers=moderator()).json()["webhooks"] == []
    assert MODERATOR not in http.get("/metrics").text
