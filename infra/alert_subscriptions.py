"""The bot's alert subscriptions (bot/alerts.py's port) in PostgreSQL, under the reporter's reference.

The chat an alert goes to is sealed with the reporter's own data key (infra/crypto.py), as
their descriptions are: no table holds a Telegram id in the clear, and "forget me" leaves the
sealed chat unreadable even before its row is deleted.
"""

from __future__ import annotations

import asyncio

import asyncpg

from domain.application import Svodka
from infra.database import Database
from projections import alert_store, outbox_store


class SealedSubscriptions:
    def __init__(self, app: Svodka, db: Database) -> None:
        self.app = app
        self.db = db
        self._pool: asyncpg.Pool | None = None
        self._opening = asyncio.Lock()

    async def _conn(self) -> asyncpg.pool.PoolAcquireContext:
        async with self._opening:
            if self._pool is None:
                pool = await asyncpg.create_pool(
                    self.db.url, min_size=0, max_size=2,
                    server_settings={"search_path": f"{self.db.schema},public", "application_name": "svodka-bot-alerts"},
                )  # fmt: skip
                async with pool.acquire() as conn:
                    await outbox_store.create(conn)
                self._pool = pool
        return self._pool.acquire()

    async def _reference(self, reporter: str, *, create: bool = False) -> str | None:
        return await asyncio.to_thread(self.app.reporter_reference, reporter, create=create)

    async def areas(self, reporter: str) -> list[str]:
        reference = await self._reference(reporter)
        if reference is None:
            return []
        async with await self._conn() as conn:
            return await alert_store.areas(conn, reference)

    async def subscribe(self, reporter: str, chat_id: int, area: str, lang: str) -> None:
        reference = await self._reference(reporter, create=True)
        assert reference is not None
        sealed = await asyncio.to_thread(self.app.vault.seal, reference, {"chat": chat_id})
        async with await self._conn() as conn:
            await alert_store.subscribe(conn, reference, sealed, lang, area)

    async def relanguage(self, reporter: str, lang: str) -> None:
        reference = await self._reference(reporter)
        if reference is not None:
            async with await self._conn() as conn:
                await alert_store.relanguage(conn, reference, lang)

    async def unsubscribe(self, reporter: str, area: str) -> None:
        reference = await self._reference(reporter)
        if reference is not None:
            async with await self._conn() as conn:
                await alert_store.unsubscribe(conn, reference, area)

    async def forget(self, reporter: str) -> None:
        reference = await self._reference(reporter)
        if reference is not None:
            async with await self._conn() as conn:
                await alert_store.drop(conn, reference)

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
