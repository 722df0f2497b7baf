"""Checkpoint alert fan-out under Telegram's flood limits, against the theoretical minimum time.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test python -m bench.alerts_fanout [--subscribers 10000]

The loopback Bot API (tests/bot/fake_telegram.py) enforces about 30 messages a second overall
and 1 a second per chat, answering 429 with retry_after as Telegram does. N reporters subscribe
to Kursk's region (as /alerts keeps them: under their reference, the chat sealed with their key);
a checkpoint there is confirmed by two reporters and folded, so the outbox follower writes N
alerts in one transaction. The bot process's alert sender (infra/outbox/alerts.py) then sends
them with the production outgoing path (bot/outgoing.py: 29/s overall). Reported: the time from
the follower's commit to the last alert accepted, and its ratio to N / 30 s, the least any sender
could take (goal: within 10%, a ratio of at most 1.10); with every subscriber alerted exactly once.
`--scale` multiplies the overall limits (and the sender's) for quick checks of the same shape.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time

import psycopg

from bench.projection import fresh_schema
from bot.i18n import load_i18n
from bot.outgoing import FloodControl
from infra.bootstrap import build_application
from infra.bot_part import make_bot
from infra.crypto import EnvelopeVault, MemoryKeyStore
from infra.database import Database
from infra.keys import Keys
from infra.keystore import PostgresKeyStore
from infra.outbox.alerts import AlertSender
from projections import outbox_store, schema
from projections.outbox import Follower, Outward
from projections.projector import connect
from tests.bot.fake_telegram import TOKEN, FakeTelegram, FloodLimits
from tests.outbox.wave import Alerts, make_credible, subscribe

TELEGRAM_PER_SECOND = 30
FIRST_CHAT = 7_000_000


def store_keys(db: Database, memory: MemoryKeyStore) -> None:
    owners = {subject: owner for owner, subject in memory._owners.items()}
    rows = [(subject, key_id, wrapped, owners.get(subject)) for subject, (key_id, wrapped) in memory._keys.items()]
    with psycopg.connect(db.url, autocommit=True) as conn, conn.cursor() as cursor:
        cursor.executemany(
            f'INSERT INTO "{db.schema}".subject_keys (subject, key_id, wrapped, owner) VALUES (%s, %s, %s, %s)', rows
        )


async def main(url: str, subscribers: int, scale: float) -> None:
    db = fresh_schema(url, "bench_alerts_fanout", keep=False)
    keys = Keys(secret=os.urandom(32), master_key=os.urandom(32))
    memory = MemoryKeyStore()  # 10,000 reporters' keys made in seconds, then stored in one go
    app = build_application(keys, db, memory)
    store = PostgresKeyStore(db)  # as in production, the sender opens each chat with its key read from here
    limits = FloodLimits(per_second=TELEGRAM_PER_SECOND * scale, burst=TELEGRAM_PER_SECOND * scale)
    tg = FakeTelegram(limits=limits)
    await tg.start()
    bot = make_bot(TOKEN, tg.url, FloodControl(per_second=29 * scale))  # production's margin
    sender = AlertSender(bot, EnvelopeVault(keys.subkey("data keys"), store), app.gazetteer, load_i18n())
    conn = await connect(db.url, db.schema, "bench-alerts")
    sending = None
    try:
        await schema.create(conn)
        await outbox_store.create(conn)
        started = time.perf_counter()
        await subscribe(app, conn, keys, range(FIRST_CHAT, FIRST_CHAT + subscribers))
        store_keys(db, memory)
        subscribed = time.perf_counter() - started
        alerts = Alerts()
        tg.on_call = alerts
        started = time.perf_counter()
        await make_credible(app, conn, Follower(app.mapper, app.gazetteer, Outward()))
        decided = time.perf_counter() - started
        started = time.perf_counter()
        sending = asyncio.create_task(sender.run(db.url, db.schema))
        await alerts.reached(subscribers, timeout=subscribers / (TELEGRAM_PER_SECOND * scale) * 3 + 60)
        seconds = time.perf_counter() - started
        await asyncio.sleep(1)  # anything sent twice would arrive now
        states = dict(await conn.fetch("SELECT state, count(*) FROM outbox WHERE kind = 'alert' GROUP BY state"))
    finally:
        if sending is not None:
            sending.cancel()
            await asyncio.gather(sending, return_exceptions=True)
        await conn.close()
        await bot.session.close()
        await tg.stop()
        app.close()
        store.close()
    bound = subscribers / (TELEGRAM_PER_SECOND * scale)
    once = sum(1 for n in alerts.per_chat.values() if n == 1)
    print(f"{subscribers} subscribers; limits {limits.per_second:.0f}/s overall, "
          f"{limits.per_chat_per_second:.0f}/s per chat; subscribed in {subscribed:.1f} s, "
          f"{subscribers} alerts decided in one follower transaction in {decided:.1f} s")
    print(f"fan-out {seconds:.1f} s ({subscribers / seconds:.1f} alerts/s); theoretical minimum "
          f"{bound:.1f} s ({subscribers} / {TELEGRAM_PER_SECOND * scale:.0f} per second); ratio {seconds / bound:.3f}")
    print(f"alerted exactly once: {once} of {subscribers} (more than once: "
          f"{sum(1 for n in alerts.per_chat.values() if n > 1)}); outbox {states}; answered 429: {len(tg.refused)}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--scale", type=float, default=1.0, help="multiply the overall limits (quick checks)")
    args = parser.parse_args()
    database = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
    asyncio.run(main(database, args.subscribers, args.scale))
