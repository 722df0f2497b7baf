"""What the bot remembers about a reporter between reports: language, last city, and whether
to keep a report's summary on the phone (/settings).

Keyed by the pseudonym only; /forget deletes it, and it expires when unused.
"""

from __future__ import annotations

import hashlib
from typing import Protocol

from redis.asyncio import Redis

PREFS_TTL_SECONDS = 90 * 24 * 3600
FIELDS = ("lang", "last_city", "summary")
KEEP_SUMMARY = "keep"  # the value of "summary" that keeps it; anything else clears the chat


def keeps_summary(prefs: dict[str, str]) -> bool:
    return prefs.get("summary") == KEEP_SUMMARY


class Preferences(Protocol):
    async def get(self, reporter: str) -> dict[str, str]: ...
    async def update(self, reporter: str, **values: str) -> None: ...
    async def forget(self, reporter: str) -> None: ...


class MemoryPreferences:
    def __init__(self) -> None:
        self._prefs: dict[str, dict[str, str]] = {}

    async def get(self, reporter: str) -> dict[str, str]:
        return dict(self._prefs.get(reporter, {}))

    async def update(self, reporter: str, **values: str) -> None:
        self._prefs.setdefault(reporter, {}).update({k: v for k, v in values.items() if k in FIELDS})

    async def forget(self, reporter: str) -> None:
        self._prefs.pop(reporter, None)


class RedisPreferences:
    """One hash per reporter; its key is a hash of the pseudonym, not the pseudonym itself."""

    def __init__(self, redis: Redis, prefix: str = "svodka:bot") -> None:
        self.redis = redis
        self.prefix = prefix

    def key(self, reporter: str) -> str:
        return f"{self.prefix}:prefs:{hashlib.sha256(reporter.encode()).hexdigest()[:32]}"

    async def get(self, reporter: str) -> dict[str, str]:
        raw = await self.redis.hgetall(self.key(reporter))
        return {_text(k): _text(v) for k, v in raw.items()}

    async def update(self, reporter: str, **values: str) -> None:
        mapping = {k: v for k, v in values.items() if k in FIELDS}
        if not mapping:
            return
        key = self.key(reporter)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(key, mapping=mapping)
            pipe.expire(key, PREFS_TTL_SECONDS)
            await pipe.execute()

    async def forget(self, reporter: str) -> None:
        await self.redis.delete(self.key(reporter))


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
