"""Conversation state keys that carry no Telegram id.

aiogram's DefaultKeyBuilder writes `fsm:<chat_id>:<user_id>:state` into Redis; this one
writes a hash of the ids' pseudonyms, so a Redis dump names nobody.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any, Literal

from aiogram.fsm.storage.base import KeyBuilder, StateType, StorageKey
from aiogram.fsm.storage.memory import MemoryStorage

# An abandoned report (and the free text in it) is dropped within the hour (/privacy says so).
CONVERSATION_TTL = timedelta(hours=1)


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


class ExpiringMemoryStorage(MemoryStorage):
    """MemoryStorage whose conversations end `ttl` after their last change, as Redis's do: an
    abandoned draft (free text included) is not kept in the process for longer than /privacy says."""

    def __init__(self, ttl: timedelta = CONVERSATION_TTL, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self.ttl = ttl.total_seconds()
        self.clock = clock
        self._changed: dict[StorageKey, float] = {}  # oldest change first: each change moves its key last

    def _expire(self) -> None:
        now = self.clock()
        while self._changed:
            key, at = next(iter(self._changed.items()))
            if at + self.ttl > now:
                return
            del self._changed[key]
            self.storage.pop(key, None)

    def _change(self, key: StorageKey) -> None:
        self._expire()
        self._changed.pop(key, None)
        self._changed[key] = self.clock()

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        self._change(key)
        await super().set_state(key, state)

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        self._change(key)
        await super().set_data(key, data)

    async def get_state(self, key: StorageKey) -> str | None:
        self._expire()
        return await super().get_state(key)

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        self._expire()
        return await super().get_data(key)

    async def get_value(self, storage_key: StorageKey, dict_key: str, default: Any | None = None) -> Any | None:
        self._expire()
        return await super().get_value(storage_key, dict_key, default)
