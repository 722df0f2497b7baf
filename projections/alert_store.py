"""Checkpoint alert subscriptions: who asked to be alerted about which places, and who was alerted.

Kept beside the outbox, so the follower decides alerts in the transaction that folds the event.
A subscriber is their reporter reference (a random id, see domain/reporter.py), never a
Telegram id: the chat an alert goes to is kept only sealed under the reporter's own data key,
so "forget me" (which destroys that key) leaves it unreadable, and the rows go with it.

An area is `region:<ISO 3166-2 code>` or `city:<the city's English name>` (domain/alert_area.py).
"""

from __future__ import annotations

from uuid import UUID

import asyncpg

from domain.alert_area import areas_of
from domain.reporter import reporter_id

TABLES = """
CREATE TABLE IF NOT EXISTS alert_subscribers (
    reference text PRIMARY KEY,
    reporter uuid NOT NULL,      -- the Reporter aggregate's id, as a Forgotten event names it
    chat text NOT NULL,          -- sealed with the reporter's data key: unreadable once forgotten
    lang text NOT NULL
);
CREATE TABLE IF NOT EXISTS alert_subscriptions (
    reference text NOT NULL REFERENCES alert_subscribers ON DELETE CASCADE,
    area text NOT NULL,
    PRIMARY KEY (reference, area)
);
CREATE INDEX IF NOT EXISTS alert_subscriptions_area ON alert_subscriptions (area);
-- One alert per checkpoint per subscriber, whatever decides it twice; "gone" goes to these.
CREATE TABLE IF NOT EXISTS checkpoint_alerts (
    report_id uuid NOT NULL,
    reference text NOT NULL,
    PRIMARY KEY (report_id, reference)
);
CREATE INDEX IF NOT EXISTS checkpoint_alerts_reference ON checkpoint_alerts (reference);
"""
TARGET = "alert:"  # an alert row's outbox target: TARGET + reference, so one subscriber's alerts go in order


async def subscribe(conn: asyncpg.Connection, reference: str, sealed_chat: str, lang: str, area: str) -> None:
    await subscribe_many(conn, [(reference, sealed_chat, lang, area)])


async def subscribe_many(conn: asyncpg.Connection, subscriptions: list[tuple[str, str, str, str]]) -> None:
    """(reference, sealed chat, language, area) each; the latest chat and language win."""
    async with conn.transaction():
        await conn.executemany(
            "INSERT INTO alert_subscribers (reference, reporter, chat, lang) VALUES ($1, $2, $3, $4) "
            "ON CONFLICT (reference) DO UPDATE SET chat = EXCLUDED.chat, lang = EXCLUDED.lang",
            [(ref, reporter_id(ref), chat, lang) for ref, chat, lang, _area in subscriptions],
        )
        await conn.executemany(
            "INSERT INTO alert_subscriptions (reference, area) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            [(ref, area) for ref, _chat, _lang, area in subscriptions],
        )


async def relanguage(conn: asyncpg.Connection, reference: str, lang: str) -> None:
    """The reporter chose another language with /lang: their alerts, queued ones too, follow it."""
    await conn.execute("UPDATE alert_subscribers SET lang = $2 WHERE reference = $1", reference, lang)


async def unsubscribe(conn: asyncpg.Connection, reference: str, area: str) -> None:
    """The last area gone, the subscriber (and their sealed chat) goes too."""
    async with conn.transaction():
        await conn.execute("DELETE FROM alert_subscriptions WHERE reference = $1 AND area = $2", reference, area)
        await conn.execute(
            "DELETE FROM alert_subscribers s WHERE reference = $1 "
            "AND NOT EXISTS (SELECT 1 FROM alert_subscriptions a WHERE a.reference = s.reference)",
            reference,
        )


async def areas(conn: asyncpg.Connection, reference: str) -> list[str]:
    rows = await conn.fetch("SELECT area FROM alert_subscriptions WHERE reference = $1 ORDER BY area", reference)
    return [r[0] for r in rows]


async def chat(conn: asyncpg.Connection, reference: str) -> tuple[str, str] | None:
    """(sealed chat, language) of a subscriber, or None."""
    row = await conn.fetchrow("SELECT chat, lang FROM alert_subscribers WHERE reference = $1", reference)
    return None if row is None else (row["chat"], row["lang"])


async def drop(conn: asyncpg.Connection, reference: str) -> None:
    """Unsubscribe from everything and leave no row naming the reference: forget, or a blocked bot.
    Alerts not sent yet go too; those sent stay as the outbox's record, naming nobody once shredded."""
    async with conn.transaction():
        await conn.execute("DELETE FROM alert_subscribers WHERE reference = $1", reference)
        await conn.execute("DELETE FROM checkpoint_alerts WHERE reference = $1", reference)
        await conn.execute(
            "DELETE FROM outbox WHERE target = $1 AND state = 'pending'", TARGET + reference
        )


async def drop_reporter(conn: asyncpg.Connection, reporter: UUID) -> None:
    """A Forgotten event (the moderators' "forget" too): everything kept for that reporter's alerts."""
    reference = await conn.fetchval("SELECT reference FROM alert_subscribers WHERE reporter = $1", reporter)
    if reference is not None:
        await drop(conn, reference)


async def alert(conn: asyncpg.Connection, report_id: UUID, region: str, city: str | None) -> list[tuple[str, str]]:
    """Subscribers to the checkpoint's areas not yet alerted about it, now marked alerted: (reference, lang)."""
    rows = await conn.fetch(
        """
        WITH fresh AS (
            INSERT INTO checkpoint_alerts (report_id, reference)
            SELECT DISTINCT $1::uuid, reference FROM alert_subscriptions WHERE area = ANY($2::text[])
            ON CONFLICT DO NOTHING RETURNING reference
        )
        SELECT f.reference, s.lang FROM fresh f JOIN alert_subscribers s USING (reference) ORDER BY f.reference
        """,
        report_id,
        areas_of(region, city),
    )
    return [(r[0], r[1]) for r in rows]


async def alerted(conn: asyncpg.Connection, report_id: UUID) -> list[tuple[str, str]]:
    """Those alerted about the checkpoint who still subscribe: (reference, lang), for its "gone"."""
    rows = await conn.fetch(
        "SELECT a.reference, s.lang FROM checkpoint_alerts a JOIN alert_subscribers s USING (reference) "
        "WHERE a.report_id = $1 ORDER BY a.reference",
        report_id,
    )
    return [(r[0], r[1]) for r in rows]
