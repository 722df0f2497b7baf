"""The gate and the conversation in Redis, at two round trips an update.

An update used to cost nine (lock, state, redelivery mark, preferences, rate limit, data, state
write, data write, unlock), each a few hundred microseconds of redis-py on a busy core: with
Redis the bot reached 0.62 of the flood bound where it reached 0.95 without. Now one script
takes the reporter's lock, marks the update, counts it and reads the state, data and
preferences; the handler's writes stay in this process while it holds the lock (nobody else
may write then), and a second script sends them with the unlock. Both scripts can run twice
(the pool retries a command whose reply was lost) with the same outcome. All keys of one
update are in one script, so a Redis Cluster would need them in one hash slot.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from aiogram.exceptions import DataNotDictLikeError
from aiogram.fsm.state import State
from aiogram.fsm.storage.base import KeyBuilder, StateType, StorageKey
from aiogram.fsm.storage.redis import RedisStorage
from redis.asyncio import Redis

from bot.drafts import DraftSeal
from bot.gate import Entry, Visit
from bot.guards import SEEN_TTL_SECONDS, RedisThrottle, seen_key
from bot.prefs import RedisPreferences
from bot.storage import CONVERSATION_TTL

# As aiogram's RedisEventIsolation: the lock of an update whose worker died frees itself.
LOCK_MS = 60_000
# A second update from the same reporter (a double tap) polls for the lock this often.
BUSY_POLL_SECONDS = 0.02
SEEN, BUSY, OPEN = 0, 1, 2

# KEYS: seen mark, lock, state, data, rate counter, preferences.
# ARGV: token, lock ms, seen ttl, rate ttl ("0": the update is not counted).
# Seen under another token: handled, or in progress while that token holds the lock (then wait,
# as it may yet fail and be released). Seen under ours: our own first try, whose reply was lost.
ENTER = """
local seen = redis.call('get', KEYS[1])
local holder = redis.call('get', KEYS[2])
if seen and seen ~= ARGV[1] then
  if holder == seen then return {1} end
  return {0}
end
if holder and holder ~= ARGV[1] then return {1} end
redis.call('set', KEYS[2], ARGV[1], 'PX', ARGV[2])
local count = 0
if not seen then
  redis.call('set', KEYS[1], ARGV[1], 'EX', ARGV[3])
  if ARGV[4] ~= '0' then
    count = redis.call('incr', KEYS[5])
    redis.call('expire', KEYS[5], ARGV[4])
  end
elseif ARGV[4] ~= '0' then
  count = tonumber(redis.call('get', KEYS[5]) or '1')
end
return {2, count, redis.call('get', KEYS[3]), redis.call('get', KEYS[4]), redis.call('hgetall', KEYS[6])}
"""

# KEYS: lock, state, data, seen mark.
# ARGV: token, state op, state, data op, data, ttl, "1" if the update failed.
# An op is "set", "del" or "" (untouched). Writes are dropped only if another update has taken
# the lock since ours expired: it read the conversation without them.
LEAVE = """
local holder = redis.call('get', KEYS[1])
if not holder or holder == ARGV[1] then
  if ARGV[2] == 'set' then redis.call('set', KEYS[2], ARGV[3], 'EX', ARGV[6])
  elseif ARGV[2] == 'del' then redis.call('del', KEYS[2]) end
  if ARGV[4] == 'set' then redis.call('set', KEYS[3], ARGV[5], 'EX', ARGV[6])
  elseif ARGV[4] == 'del' then redis.call('del', KEYS[3]) end
end
if holder == ARGV[1] then redis.call('del', KEYS[1]) end
if ARGV[7] == '1' and redis.call('get', KEYS[4]) == ARGV[1] then redis.call('del', KEYS[4]) end
return 1
"""


@dataclass
class Held:
    """A conversation as its lock holder sees it; `data` is the sealed JSON Redis keeps."""

    state: str | None
    data: str | None
    state_written: bool = False
    data_written: bool = False


class SharedConversations(RedisStorage):
    """aiogram's RedisStorage, except that a conversation whose update holds the lock is read
    from what the gate brought back and written when the gate lets the update out."""

    def __init__(self, redis: Redis, key_builder: KeyBuilder, seal: DraftSeal) -> None:
        # Sealed: a draft holds what the reporter typed, and Redis may keep it on disk (bot/drafts.py).
        super().__init__(redis, key_builder=key_builder, state_ttl=CONVERSATION_TTL, data_ttl=CONVERSATION_TTL,
                         json_loads=seal.loads, json_dumps=seal.dumps)
        self.held: dict[StorageKey, Held] = {}

    async def get_state(self, key: StorageKey) -> str | None:
        held = self.held.get(key)
        return await super().get_state(key) if held is None else held.state

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        held = self.held.get(key)
        if held is None:
            return await super().set_state(key, state)
        held.state = state.state if isinstance(state, State) else state
        held.state_written = True

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        held = self.held.get(key)
        if held is None:
            return await super().get_data(key)
        return self.json_loads(held.data) if held.data else {}  # a fresh dict, as from Redis

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        held = self.held.get(key)
        if held is None:
            return await super().set_data(key, data)
        if not isinstance(data, dict):
            raise DataNotDictLikeError(f"Data must be a dict or dict-like object, got {type(data).__name__}")
        held.data = self.json_dumps(data) if data else None
        held.data_written = True


class RedisGate:
    def __init__(
        self,
        redis: Redis,
        conversations: SharedConversations,
        throttle: RedisThrottle,
        prefs: RedisPreferences,
        prefix: str,
    ) -> None:
        self.conversations = conversations
        self.throttle = throttle
        self.prefs = prefs
        self.prefix = prefix
        self._enter = redis.register_script(ENTER)
        self._leave = redis.register_script(LEAVE)

    @asynccontextmanager
    async def enter(self, visit: Visit) -> AsyncIterator[Entry]:
        token = uuid.uuid4().hex
        key, build = visit.conversation, self.conversations.key_builder.build
        lock, state, data = build(key, "lock"), build(key, "state"), build(key, "data")
        seen = seen_key(self.prefix, visit.bot_id, visit.update_id)
        rate = self.throttle.key(visit.reporter, int(time.time() // self.throttle.window))
        while True:
            reply = await self._enter(
                keys=[seen, lock, state, data, rate, self.prefs.key(visit.reporter)],
                args=[token, LOCK_MS, SEEN_TTL_SECONDS, self.throttle.window * 2 if visit.counted else 0],
            )
            if reply[0] != BUSY:
                break
            await asyncio.sleep(BUSY_POLL_SECONDS)
        if reply[0] == SEEN:
            yield Entry(first_time=False)
            return
        _, count, saved_state, saved_data, saved_prefs = reply
        held = self.conversations.held[key] = Held(_text(saved_state), _text(saved_data))
        failed = False
        try:
            yield Entry(True, int(count), _pairs(saved_prefs))
        except BaseException:
            failed = True
            raise
        finally:
            if self.conversations.held.get(key) is held:  # not an update that took an expired lock
                del self.conversations.held[key]
            await self._leave(
                keys=[lock, state, data, seen],
                args=[
                    token,
                    _op(held.state_written, held.state), held.state or "",
                    _op(held.data_written, held.data), held.data or "",
                    int(CONVERSATION_TTL.total_seconds()),
                    "1" if failed else "0",
                ],
            )


def _op(written: bool, value: str | None) -> str:
    return "" if not written else "set" if value else "del"


def _text(value: bytes | str | None) -> str | None:
    return value.decode() if isinstance(value, bytes) else value


def _pairs(flat: list[bytes]) -> dict[str, str]:
    """HGETALL as a script returns it: field, value, field, value."""
    items = [_text(v) or "" for v in flat]
    return dict(zip(items[::2], items[1::2]))
