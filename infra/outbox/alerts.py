"""Alerts to subscribed reporters: the outbox's `alert` rows, sent from the bot's own process.

They share the bot's Bot API client, so they count against the same flood limits as the
conversations, and go as background calls (bot/outgoing.py): a reporter's reply takes the next
slot, an alert only a slot nobody else wants. A wave queues in the outbox, never dropped: rows
are sent oldest first, one at a time per subscriber (so "gone" follows its alert), many
subscribers side by side. The chat is opened from its sealed form only at send time, and never
logged. A subscriber who blocked the bot (403) is unsubscribed; an answer with `retry_after`
is waited out by the flood control, then by the row's next attempt. One sender is active per
database (an advisory lock); other bot processes wait as hot standbys.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import aiohttp
import asyncpg
from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramForbiddenError, TelegramRetryAfter
from aiogram.utils.i18n import I18n

from bot.alerts import alert_message
from bot.outgoing import in_background
from bot.panel import show
from domain.places import Gazetteer
from domain.ports import PersonalDataVault
from infra.outbox.sender import count_outcome, failed, keep_draining
from projections import alert_store

log = logging.getLogger("svodka.outbox")
# Each subscriber's oldest pending alert, if due, oldest first: a subscriber's next alert waits
# for the one before it (outbox_pending is the index on (target, id) of pending rows).
DUE = f"""
SELECT o.*, s.chat AS sealed, s.lang FROM outbox o
LEFT JOIN alert_subscribers s ON s.reference = substr(o.target, {len(alert_store.TARGET) + 1})
WHERE o.kind = 'alert' AND o.state = 'pending' AND o.next_attempt_at <= now()
  AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.state = 'pending' AND p.target = o.target AND p.id < o.id)
ORDER BY o.id LIMIT $1
"""
GONE = "no subscriber (unsubscribed or forgotten)"


@dataclass
class AlertSender:
    bot: Bot
    vault: PersonalDataVault
    gazetteer: Gazetteer
    i18n: I18n
    # Enough calls in flight to keep every free slot taken while others wait on the network.
    concurrency: int = 16
    batch: int = 500
    retry: timedelta = timedelta(seconds=10)
    give_up: timedelta = timedelta(hours=24)

    async def drain(self, pool: asyncpg.Pool) -> int:
        """One round: each subscriber's next due alert, up to `batch`; how many rows it handled."""
        async with pool.acquire() as conn:
            rows = await conn.fetch(DUE, self.batch)
        if not rows:
            return 0
        gate = asyncio.Semaphore(self.concurrency)

        async def one(row: asyncpg.Record) -> bool:
            async with gate:
                return await self._send(pool, row, await self._chat(row))

        with in_background():  # the tasks gather starts copy this context
            sent = sum(await asyncio.gather(*(one(r) for r in rows)))
        if sent:
            async with pool.acquire() as conn:
                await count_outcome(conn, "alert", "sent", sent)
        return len(rows)

    async def _chat(self, row: asyncpg.Record) -> int | None:
        """The subscriber's chat, while they subscribe and their key exists; opened as it is sent,
        beside the other sends (the key store is blocking: a thread)."""
        if row["sealed"] is None:
            return None
        opened = await asyncio.to_thread(self.vault.open, row["target"].removeprefix(alert_store.TARGET), row["sealed"])
        return None if opened is None else int(opened["chat"])

    async def _send(self, pool: asyncpg.Pool, row: asyncpg.Record, chat: int | None) -> bool:
        if chat is None:
            await _give_up(pool, row, GONE)
            return False
        facts: dict[str, Any] = json.loads(row["body"])
        # The subscriber's language now (/lang updates it), not when the alert was decided.
        lang = row["lang"] or facts.get("lang") or self.i18n.default_locale
        with self.i18n.context(), self.i18n.use_locale(lang):
            text, markup = alert_message(facts, self.gazetteer)
        try:
            message_id = await show(self.bot, chat, None, text, markup)
        except TelegramForbiddenError:
            # Blocked the bot (or deleted the account): they want no more messages.
            await _give_up(pool, row, "the subscriber blocked the bot")
            async with pool.acquire() as conn:
                await alert_store.drop(conn, row["target"].removeprefix(alert_store.TARGET))
            log.info("alert subscriber unsubscribed: the bot is blocked")
            return False
        except TelegramRetryAfter as error:
            await self._failed(pool, row, "Telegram asked to slow down", error.retry_after)
            return False
        except TelegramAPIError as error:
            await self._failed(pool, row, f"Telegram: {error.message}", None)
            return False
        except (aiohttp.ClientError, TimeoutError, OSError) as error:
            await self._failed(pool, row, type(error).__name__, None)
            return False
        async with pool.acquire() as conn:
            await conn.execute(
                "UPDATE outbox SET state = 'sent', sent_at = now(), attempts = attempts + 1, message_id = $2, "
                "last_error = NULL WHERE id = $1",
                row["id"],
                message_id,
            )
        return True

    async def _failed(self, pool: asyncpg.Pool, row: asyncpg.Record, error: str, retry_after: float | None) -> None:
        await failed(pool, row, error, retry_after, retry=self.retry, give_up=self.give_up)

    async def run(self, url: str, db_schema: str, *, poll: float = 1.0, standby: float = 1.0) -> None:
        """Until cancelled: hold the lock (or wait as a hot standby), send as alerts arrive and fall due."""
        await keep_draining(url, db_schema, "svodka alert sender", self.drain, poll=poll, standby=standby)


async def _give_up(pool: asyncpg.Pool, row: asyncpg.Record, why: str) -> None:
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(
            "UPDATE outbox SET state = 'given_up', attempts = attempts + 1, last_error = $2 WHERE id = $1",
            row["id"],
            why,
        )
        await count_outcome(conn, "alert", "given_up")
