"""svodka's bot under real aiogram polling against the loopback Bot API, on PostgreSQL and Redis:
reports reach the event store and the projected counts, and nobody's Telegram identity is kept."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timezone

import psycopg
import pytest

from infra.bot_part import ReadModelCheckpoints, make_bot, wire
from projections import queries, schema
from projections.projector import Projector, connect
from tests.bot.conftest import PollingHarness
from tests.bot.fake_telegram import TOKEN, FakeUser

pytestmark = pytest.mark.postgres


async def test_reports_reach_the_store_and_the_counts_and_no_identity_is_kept(
    tg, store_app, db, keys, redis, caplog
):
    client, prefix = redis
    # aiogram's own loggers too, at their most talkative (configure_logging may have quietened them).
    for name in (None, "aiogram.event", "aiogram.dispatcher", "aiogram.middlewares"):
        caplog.set_level(logging.DEBUG, logger=name)
    checkpoints = ReadModelCheckpoints(db, ttl_minutes=180)
    dp = wire(store_app, keys, checkpoints, client, prefix=prefix).dispatcher
    telegram = make_bot(TOKEN, tg.url)
    polling = asyncio.create_task(dp.start_polling(telegram, handle_signals=False, close_bot_session=False, polling_timeout=1))
    user = FakeUser(tg, 7_301_234_567, first_name="Zinaida", username="privacy_probe_user")
    anna = PollingHarness(tg, dp, telegram, store_app, user)
    user = FakeUser(tg, 7_309_876_543, first_name="Jonathan", username="jon_probe_user", language_code="en")
    john = PollingHarness(tg, dp, telegram, store_app, user)
    try:
        # A detention, in Russian.
        await anna.detention_summary(city="Санкт-Петербург", count="4", description="У Гостиного двора, двое")
        assert "сохранён" in await anna.tap("Подтвердить")
        # A checkpoint, in English, from a shared location.
        await john.say("/report")
        await john.tap("Checkpoint")
        await john.send_and_text(john.user.location(51.7402, 36.1811))
        await john.tap("1 hour ago")
        await john.tap("Skip")
        assert "saved" in await john.tap("Confirm")

        conn = await connect(db.url, db.schema, "svodka-bot-tests")
        try:
            await schema.create(conn)
            await Projector(store_app.mapper).catch_up(conn)
            detentions = await queries.stats(conn, kind="detention", group_by=("city",))
            assert detentions.total.unverified == 4
            assert [g.key["city"] for g in detentions.groups] == ["Saint Petersburg"]
            active = await queries.active_checkpoints(conn, at=datetime.now(timezone.utc))
            assert [(c.region, c.city) for c in active] == [("RU-KRS", "Kursk")]
        finally:
            await conn.close()
        # /checkpoints reads the same read model through the bot's port.
        await anna.say("/checkpoints")
        assert "1. Курск" in await anna.send_and_text(anna.user.location(51.73, 36.19))
    finally:
        await dp.stop_polling()
        await asyncio.wait_for(polling, 10)
        await telegram.session.close()
        await checkpoints.close()

    secrets = [
        str(p) for u in (anna.user, john.user) for p in (u.id, u.username, u.first_name)
    ]
    # The database: events (encrypted), keys and the read model, every row as text.
    with psycopg.connect(db.url) as pg:
        tables = [r[0] for r in pg.execute("SELECT tablename FROM pg_tables WHERE schemaname = %s", (db.schema,))]
        assert tables, "nothing was stored"
        dump = "\n".join(
            str(row) for t in tables for row in pg.execute(f'SELECT t::text FROM "{db.schema}"."{t}" t')
        )
    # Redis: every key in the test database and every value under them.
    stored = []
    async for key in client.scan_iter("*"):
        stored.append(key.decode(errors="replace"))
        kind = (await client.type(key)).decode()
        if kind == "string":
            stored.append(str(await client.get(key)))
        elif kind == "hash":
            stored.append(str(await client.hgetall(key)))
    assert any(k.startswith(prefix) for k in stored), "Redis was not used"
    logs = "\n".join(f"{r.name} {r.getMessage()} {vars(r)}" for r in caplog.records)
    assert "aiogram.event" in logs  # the check below saw aiogram's own lines
    for secret in secrets:
        assert secret not in dump, f"{secret} in the database"
        assert secret not in "\n".join(stored), f"{secret} in Redis"
        assert secret not in logs, f"{secret} in the logs"
