"""The sender: drains the outbox, at least once, in order per target, with backoff.

Each target (a Telegram chat, a partner webhook) is sent its rows in outbox order: a row waits
until the one before it is sent or given up, so a partner that was down gets everything later,
in order. Targets are served side by side. A row is marked sent only after the receiver took it,
so a crash (kill -9) between the two sends it again: partners deduplicate by `X-Svodka-Delivery`;
a Telegram post whose message id was kept is never posted again. One sender is active per
database (an advisory lock); a second waits as a hot standby.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from uuid import UUID

import aiohttp
import asyncpg

from infra.outbox import signing
from projections import outbox_store
from projections.standby import hold_and_run

if TYPE_CHECKING:
    from aiogram import Bot

log = logging.getLogger("svodka.outbox")
MAX_DELAY = timedelta(hours=1)  # backoff doubles up to this, so a partner back up is served within the hour
PER_TARGET = 50  # rows sent to one target in one round, before others get a turn
HTTP_TIMEOUT = aiohttp.ClientTimeout(total=15)


class Undelivered(Exception):
    """The receiver did not take it; `retry_after` when it said when to come back."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass
class Sender:
    partner_key: bytes
    bot: "Bot | None" = None  # without one, channel posts wait in the outbox
    retry: timedelta = timedelta(seconds=10)
    give_up: timedelta = timedelta(hours=24)
    concurrency: int = 8
    # Called before a row is marked sent, after the receiver took it; tests inject crashes here.
    before_mark: Callable[[int], Awaitable[None]] | None = None

    async def drain(self, pool: asyncpg.Pool) -> int:
        """One round: every target whose next row is due; how many rows were sent."""
        async with pool.acquire() as conn:
            heads = await conn.fetch(
                "SELECT DISTINCT ON (target) target, next_attempt_at FROM outbox WHERE state = 'pending' "
                "ORDER BY target, id"
            )
        now = datetime.now(timezone.utc)
        due = [h["target"] for h in heads if h["next_attempt_at"] <= now]
        if not due:
            return 0
        gate = asyncio.Semaphore(self.concurrency)
        async with aiohttp.ClientSession(timeout=HTTP_TIMEOUT) as http:

            async def serve(target: str) -> int:
                async with gate:
                    return await self._target(pool, http, target)

            return sum(await asyncio.gather(*(serve(t) for t in due)))

    async def _target(self, pool: asyncpg.Pool, http: aiohttp.ClientSession, target: str) -> int:
        async with pool.acquire() as conn:
            rows = await conn.fetch(
                "SELECT o.*, w.url FROM outbox o LEFT JOIN webhooks w ON o.target = 'webhook:' || w.id::text "
                "WHERE o.target = $1 AND o.state = 'pending' ORDER BY o.id LIMIT $2",
                target,
                PER_TARGET,
            )
        sent = 0
        for row in rows:
            if row["next_attempt_at"] > datetime.now(timezone.utc):
                break
            try:
                message_id = await self._deliver(http, row)
            except Undelivered as error:
                await self._failed(pool, row, str(error), error.retry_after)
                break  # the rows after it wait: order per target
            if message_id is not None and row["message_id"] is None:
                async with pool.acquire() as conn:
                    # Kept at once, before anything else can fail: a retry then finds it and never reposts.
                    await conn.execute("UPDATE outbox SET message_id = $2 WHERE id = $1", row["id"], message_id)
            if self.before_mark is not None:
                await self.before_mark(row["id"])
            await self._sent(pool, row, message_id)
            sent += 1
        return sent

    async def _deliver(self, http: aiohttp.ClientSession, row: asyncpg.Record) -> int | None:
        if row["kind"] == "telegram":
            return await self._post(row)
        if row["url"] is None:
            raise Undelivered("the webhook is not known (removed?)")
        body = row["body"].encode()
        secret = signing.partner_secret(self.partner_key, UUID(row["target"].removeprefix("webhook:")))
        headers = signing.headers(secret, row["delivery"], int(time.time()), body)
        try:
            async with http.post(row["url"], data=body, headers=headers, allow_redirects=False) as answer:
                if 200 <= answer.status < 300:
                    return None
                retry_after = answer.headers.get("Retry-After")
                raise Undelivered(f"HTTP {answer.status}", float(retry_after) if retry_after and retry_after.isdigit() else None)
        except (aiohttp.ClientError, TimeoutError, OSError) as error:
            raise Undelivered(type(error).__name__) from None

    async def _post(self, row: asyncpg.Record) -> int:
        if row["message_id"] is not None:
            return row["message_id"]  # posted already (kept): never twice
        if self.bot is None:
            raise Undelivered("no TELEGRAM_BOT_TOKEN to post with")
        from aiogram.exceptions import TelegramAPIError, TelegramRetryAfter  # only where a bot posts

        post = json.loads(row["body"])
        try:
            message = await self.bot.send_message(post["chat_id"], post["text"], disable_web_page_preview=True)
        except TelegramRetryAfter as error:
            raise Undelivered("Telegram asked to slow down", error.retry_after) from None
        except TelegramAPIError as error:
            raise Undelivered(f"Telegram: {error.message}") from None
        except (aiohttp.ClientError, TimeoutError, OSError) as error:
            raise Undelivered(type(error).__name__) from None
        return message.message_id

    async def _sent(self, pool: asyncpg.Pool, row: asyncpg.Record, message_id: int | None) -> None:
        async with pool.acquire() as conn, conn.transaction():
            await conn.execute(
                "UPDATE outbox SET state = 'sent', sent_at = now(), attempts = attempts + 1, message_id = $2, "
                "last_error = NULL WHERE id = $1",
                row["id"],
                message_id,
            )
            if row["kind"] == "webhook":
                await conn.execute(
                    "UPDATE webhooks SET failing_since = NULL WHERE 'webhook:' || id::text = $1", row["target"]
                )
            await count_outcome(conn, row["kind"], "sent")

    async def _failed(self, pool: asyncpg.Pool, row: asyncpg.Record, error: str, retry_after: float | None) -> None:
        await failed(pool, row, error, retry_after, retry=self.retry, give_up=self.give_up)

    async def run(self, url: str, db_schema: str, *, poll: float = 1.0, standby: float = 1.0) -> None:
        """Until cancelled: hold the lock (or wait as a hot standby), send as rows arrive and fall due."""
        await keep_draining(url, db_schema, "svodka outbox sender", self.drain, poll=poll, standby=standby)


async def keep_draining(
    url: str, db_schema: str, name: str, drain: Callable[[asyncpg.Pool], Awaitable[int]], *, poll: float,
    standby: float,
) -> None:  # fmt: skip
    """Hold the lock `name` (or wait as a hot standby), and drain rounds as rows arrive and fall due."""

    async def work(conn: asyncpg.Connection) -> None:
        await outbox_store.create(conn)
        woken = asyncio.Event()
        await conn.add_listener(outbox_store.NOTIFY, lambda *_: woken.set())
        settings = {"search_path": f"{db_schema},public", "application_name": name.replace(" ", "-")}
        async with asyncpg.create_pool(url, min_size=1, max_size=4, server_settings=settings) as pool:
            while True:
                woken.clear()
                if await drain(pool):
                    continue  # a target may have more than one round's rows
                try:
                    await asyncio.wait_for(woken.wait(), poll)
                except TimeoutError:
                    pass

    await hold_and_run(url, db_schema, name, work, standby=standby, log=log)


async def failed(
    pool: asyncpg.Pool, row: asyncpg.Record, error: str, retry_after: float | None, *, retry: timedelta,
    give_up: timedelta,
) -> None:  # fmt: skip
    """An attempt that did not deliver: try again after a doubling delay (at least `retry_after`),
    or give the row up once it is older than `give_up`."""
    now = datetime.now(timezone.utc)
    attempts = row["attempts"] + 1
    delay = min(retry * 2 ** (attempts - 1), MAX_DELAY)
    if retry_after is not None:
        delay = max(delay, timedelta(seconds=retry_after))
    giving_up = now - row["created_at"] >= give_up
    log.warning("outbox delivery failed", extra={"kind": row["kind"], "attempts": attempts, "error": error,
                                                 "given_up": giving_up})  # fmt: skip
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(
            "UPDATE outbox SET attempts = $2, last_error = $3, next_attempt_at = $4, "
            "state = CASE WHEN $5 THEN 'given_up' ELSE state END WHERE id = $1",
            row["id"], attempts, error[:500], now + delay, giving_up,
        )  # fmt: skip
        await count_outcome(conn, row["kind"], "failed")
        if giving_up:
            await count_outcome(conn, row["kind"], "given_up")
            if row["kind"] == "webhook":
                await conn.execute(
                    "UPDATE webhooks SET failing_since = coalesce(failing_since, now()) "
                    "WHERE 'webhook:' || id::text = $1",
                    row["target"],
                )


async def count_outcome(conn: asyncpg.Connection, kind: str, outcome: str, n: int = 1) -> None:
    await conn.execute(
        "INSERT INTO outbox_counters (kind, outcome, n) VALUES ($1, $2, $3) "
        "ON CONFLICT (kind, outcome) DO UPDATE SET n = outbox_counters.n + EXCLUDED.n",
        kind,
        outcome,
        n,
    )
