"""Conversation state keys that carry no Telegram id.

aiogram's DefaultKeyBuilder writes `fsm:<chat_id>:<user_id>:state` into Redis; this one
writes a hash of the ids' pseudonyms, so a Redis dump names nobody.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncGenerator, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Literal

from aiogram.fsm.storage.base import BaseStorage, KeyBuilder, StorageKey
from aiogram.fsm.storage.memory import MemoryStorage
from aiogram.fsm.storage.redis import RedisEventIsolation, RedisStorage
from redis.asyncio import Redis
from redis.exceptions import LockNotOwnedError

# An abandoned report (and the free text in it) leaves Redis after a day.
CONVERSATION_TTL = timedelta(hours=24)


class PseudonymousKeyBuilder(KeyBuilder):
    def __init__(self, pseudonymize: Callable[[int], str], prefix: str = "svodka:bot:fsm") -> None:
        self.pseudonymize = pseudonymize
        self.prefix = prefix

    def build(self, key: StorageKey, part: Literal["data", "state", "lock"] | None = None) -> str:
        chat = self.pseudonymize(key.chat_id)
        user = chat if key.user_id == key.chat_id else self.pseudonymize(key.user_id)
        scope = f"{chat}:{user}:{key.thread_id or ''}:{key.business_connection_id or ''}:{key.destiny}"
        digest = hashlib.sha256(scope.encode()).hexdigest()[:40]
        return f"{self.prefix}:{key.bot_id}:{digest}:{part or ''}"


def conversation_storage(
    redis: Redis | None, pseudonymize: Callable[[int], str], prefix: str = "svodka:bot"
) -> BaseStorage:
    """Memory for one process; Redis, with hashed keys and a TTL, when workers share state."""
    if redis is None:
        return MemoryStorage()
    return RedisStorage(
        redis,
        key_builder=PseudonymousKeyBuilder(pseudonymize, prefix=f"{prefix}:fsm"),
        state_ttl=CONVERSATION_TTL,
        data_ttl=CONVERSATION_TTL,
    )


class ReporterIsolation(RedisEventIsolation):
    """One update at a time per reporter, across workers, under a Redis lock.

    A release that finds the lock no longer held is not the update's failure: the release was
    retried after its first try went through (its reply lost), or the lock outlived its timeout."""

    @asynccontextmanager
    async def lock(self, key: StorageKey) -> AsyncGenerator[None, None]:
        lock = self.redis.lock(name=self.key_builder.build(key, "lock"), **self.lock_kwargs)
        await lock.acquire()
        try:
            yield None
        finally:
            try:
                await lock.release()
            except LockNotOwnedError:
                pass
