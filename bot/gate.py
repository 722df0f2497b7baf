"""The gate every private update passes before its handler: is it new, how many updates has its
reporter sent in this rate window, and what have they saved (language, last city).

`MemoryGate` asks the memory ports one by one. With Redis, `bot.redis_gate.RedisGate` answers
the same questions, takes the reporter's lock and reads their conversation in one round trip,
and writes the conversation back with the unlock in one more.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from typing import Protocol

from aiogram.fsm.storage.base import StorageKey

from bot.guards import MemorySeenUpdates, MemoryThrottle
from bot.prefs import Preferences

log = logging.getLogger("svodka.bot")


@dataclass(frozen=True)
class Visit:
    """What an update is let in with; a redelivered one is never let in."""

    reporter: str
    bot_id: int
    update_id: int
    conversation: StorageKey  # the reporter's conversation in this chat: its lock and state
    counted: bool  # messages and taps count against the rate limit; other updates do not


@dataclass(frozen=True)
class Entry:
    first_time: bool
    count: int = 0  # the reporter's counted updates in this rate window, this one included
    prefs: dict[str, str] = field(default_factory=dict)  # empty when unreadable: Telegram's language applies


class Gate(Protocol):
    def enter(self, visit: Visit) -> AbstractAsyncContextManager[Entry]:
        """Let the update in for the block; if the block raises, a redelivery may try it again."""
        ...


class MemoryGate:
    """One process: the conversation lives in aiogram's MemoryStorage under its own lock."""

    def __init__(self, seen: MemorySeenUpdates, throttle: MemoryThrottle, prefs: Preferences) -> None:
        self.seen = seen
        self.throttle = throttle
        self.prefs = prefs

    @asynccontextmanager
    async def enter(self, visit: Visit) -> AsyncIterator[Entry]:
        if not await self.seen.first_time(visit.bot_id, visit.update_id):
            yield Entry(first_time=False)
            return
        try:
            count = await self.throttle.hit(visit.reporter) if visit.counted else 0
            yield Entry(True, count, await self._saved(visit.reporter))
        except BaseException:
            await self.seen.release(visit.bot_id, visit.update_id)
            raise

    async def _saved(self, reporter: str) -> dict[str, str]:
        try:
            return await self.prefs.get(reporter)
        except Exception as error:  # noqa: BLE001 - the store is down: answer in Telegram's language
            log.warning("preferences unavailable", extra={"error": type(error).__name__})
            return {}
