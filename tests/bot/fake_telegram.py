"""A small Bot API server on 127.0.0.1 for tests and benchmarks: it queues updates for
getUpdates, answers the methods svodka's bot calls, and records every call.

It is as strict as Telegram where the bot could trip: an edit that changes nothing is refused
("message is not modified"), and with `limits` set it enforces the flood limits (about 30
messages a second overall, 1 a second per chat with short bursts) with 429 `retry_after`
answers in Telegram's format; `refuse_share` answers a share of calls with 429 at random;
a chat in `blocked` is refused with 403, as for a user who blocked the bot.

Real aiogram talks to it over real HTTP (`TelegramAPIServer.from_base`), so nothing of
svodka's own code is mocked.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import random
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

BOT_ID = 4242
TOKEN = f"{BOT_ID}:TEST-token-not-secret"
BOT_USER = {"id": BOT_ID, "is_bot": True, "first_name": "svodka", "username": "svodka_test_bot"}
_JSON_FIELDS = {"reply_markup", "chat_id", "message_id", "message_ids", "offset", "limit", "timeout", "show_alert", "allowed_updates"}


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    at: float = field(default_factory=time.monotonic)  # when it arrived


@dataclass
class Fault:
    status: int
    description: str
    parameters: dict[str, Any] | None = None


# Calls Telegram does not count against a bot's message limits.
UNLIMITED = {"getUpdates", "getMe", "answerCallbackQuery", "deleteWebhook", "setWebhook", "close", "logOut"}
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)


@dataclass
class Bucket:
    """Telegram's limit as a token bucket: `rate` a second, up to `burst` at once."""

    rate: float
    burst: float
    tokens: float = -1.0
    at: float = 0.0

    def take(self, now: float) -> float:
        """0 if the call passes, else the whole seconds to wait (Telegram's retry_after)."""
        if self.tokens < 0:
            self.tokens, self.at = self.burst, now
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0
        return max(1, math.ceil((1 - self.tokens) / self.rate))


@dataclass
class FloodLimits:
    per_second: float = 30
    burst: float = 30
    per_chat_per_second: float = 1
    chat_burst: float = 3


class FakeTelegram:
    def __init__(self, limits: FloodLimits | None = None) -> None:
        self.calls: list[Call] = []
        self._by_chat: dict[int, list[Call]] = defaultdict(list)
        # Called with every recorded call; the benchmark's users wait on it instead of polling.
        self.on_call: Callable[[Call], None] | None = None
        self.updates: list[dict[str, Any]] = []
        self.faults: dict[str, list[Fault]] = defaultdict(list)
        self._update_ids = itertools.count(1)
        self._message_ids: dict[int, itertools.count] = defaultdict(lambda: itertools.count(1))
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.url = ""
        # What each message shows now, (chat, message id) -> (text, keyboard): an edit to the same is refused.
        self.shown: dict[tuple[int, int], tuple[str, Any]] = {}
        # Messages deleted (the bot's and the users'), (chat, message id): gone for edits and deletes.
        self.gone: set[tuple[int, int]] = set()
        self.limits = limits
        self._overall = Bucket(limits.per_second, limits.burst) if limits else None
        self._per_chat: dict[int, Bucket] = {}
        self.refused: list[Call] = []  # calls answered 429
        self.blocked: set[int] = set()  # users who blocked the bot: sending to them is refused with 403
        self.share_refused = 0.0
        self.share_retry_after = 1
        self._random = random.Random(19)

    # -- server ------------------------------------------------------------------------

    async def start(self) -> str:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != TOKEN:
            return web.json_response({"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401)
        method = request.match_info["method"]
        raw = dict(request.query)
        if request.method == "POST":
            raw.update(await request.post())
        params = {k: _decode(k, v) for k, v in raw.items()}
        if method == "getUpdates":
            return _ok(await self._get_updates(params))
        faults = self.faults.get(method)
        if faults:
            return _error(faults.pop(0))
        call = Call(method, params)
        if method == "sendMessage" and int(params.get("chat_id", 0)) in self.blocked:
            return _error(Fault(403, "Forbidden: bot was blocked by the user"))
        wait = self._flood_wait(method, params)
        if wait:
            self.refused.append(call)
            return _error(Fault(429, f"Too Many Requests: retry after {wait}", {"retry_after": wait}))
        if method == "editMessageText" and self._unchanged(params):
            return _error(Fault(400, NOT_MODIFIED))
        if method in ("editMessageText", "deleteMessage") and (int(params["chat_id"]), int(params["message_id"])) in self.gone:
            action = "edit" if method == "editMessageText" else "delete"
            return _error(Fault(400, f"Bad Request: message to {action} not found"))
        async with self._changed:
            self.calls.append(call)
            if "chat_id" in params:
                self._by_chat[int(params["chat_id"])].append(call)
            self._changed.notify_all()
        if self.on_call is not None:
            self.on_call(call)
        return _ok(self._result(method, params))

    def _flood_wait(self, method: str, params: dict[str, Any]) -> int:
        if method in UNLIMITED:
            return 0
        if self.share_refused and self._random.random() < self.share_refused:
            return self.share_retry_after
        if self.limits is None or "chat_id" not in params:
            return 0
        now = time.monotonic()
        chat = int(params["chat_id"])
        bucket = self._per_chat.setdefault(chat, Bucket(self.limits.per_chat_per_second, self.limits.chat_burst))
        assert self._overall is not None
        # A call refused by either limit takes a token from neither, as a refused call sends nothing.
        probe = Bucket(bucket.rate, bucket.burst, bucket.tokens, bucket.at)
        wait = probe.take(now)
        if wait:
            return wait
        wait = self._overall.take(now)
        if wait:
            return wait
        bucket.take(now)
        return 0

    def _unchanged(self, params: dict[str, Any]) -> bool:
        key = (int(params["chat_id"]), int(params["message_id"]))
        return self.shown.get(key) == (params.get("text", ""), params.get("reply_markup") or None)

    def refuse_share(self, share: float, retry_after: int = 1) -> None:
        """Answer this share of limited calls with 429, at random (seeded), whatever the rate."""
        self.share_refused, self.share_retry_after = share, retry_after

    def _result(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getMe":
            return BOT_USER
        if method == "sendMessage":
            chat = int(params["chat_id"])
            return self._message(chat, next(self._message_ids[chat]), params)
        if method in ("deleteMessage", "deleteMessages"):
            # deleteMessages skips what it cannot find, as Telegram's does.
            chat = int(params["chat_id"])
            ids = params["message_ids"] if method == "deleteMessages" else [params["message_id"]]
            for message_id in ids:
                self.gone.add((chat, int(message_id)))
                self.shown.pop((chat, int(message_id)), None)
            return True
        if method in ("editMessageText", "editMessageReplyMarkup"):
            return {**self._message(int(params["chat_id"]), int(params["message_id"]), params), "edit_date": int(time.time())}
        return True

    def _message(self, chat: int, message_id: int, params: dict[str, Any]) -> dict[str, Any]:
        self.shown[(chat, message_id)] = (params.get("text", ""), params.get("reply_markup") or None)
        message = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": {"id": chat, "type": "private"},
            "from": BOT_USER,
            "text": params.get("text", ""),
        }
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        return message

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        timeout = float(params.get("timeout") or 0)
        async with self._changed:
            # An offset confirms every update before it, as on Telegram's side.
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
            if not self.updates and timeout:
                try:
                    await asyncio.wait_for(self._changed.wait_for(lambda: bool(self.updates)), timeout)
                except TimeoutError:
                    pass
            return self.updates[:limit]

    # -- what tests do -------------------------------------------------------------------

    async def push(self, update: dict[str, Any]) -> int:
        """Queue an update for getUpdates; ids rise in queue order, as an offset relies on."""
        async with self._changed:
            self.stamp(update)
            self.updates.append(update)
            self._changed.notify_all()
        return update["update_id"]

    def fail(self, method: str, fault: Fault, times: int = 1) -> None:
        self.faults[method].extend([fault] * times)

    def new_update_id(self) -> int:
        return next(self._update_ids)

    def stamp(self, update: dict[str, Any]) -> dict[str, Any]:
        """Give an update its id when it is delivered; a redelivery keeps the first one."""
        update.setdefault("update_id", self.new_update_id())
        return update

    async def wait_for(self, predicate, timeout: float = 10.0) -> None:
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: predicate(self.calls)), timeout)

    def to_chat(self, chat_id: int, *methods: str) -> list[Call]:
        methods = methods or ("sendMessage", "editMessageText")
        return [c for c in self._by_chat.get(chat_id, ()) if c.method in methods]

    def last_text(self, chat_id: int) -> str:
        shown = self.to_chat(chat_id)
        return shown[-1].params.get("text", "") if shown else ""

    def deleted(self, chat_id: int) -> list[int]:
        """Message ids the bot deleted in this chat, in the order asked, one call or many."""
        calls = self.to_chat(chat_id, "deleteMessage", "deleteMessages")
        return [int(i) for c in calls for i in (c.params.get("message_ids") or [c.params.get("message_id")])]

    def answers(self) -> list[Call]:
        return [c for c in self.calls if c.method == "answerCallbackQuery"]


def _decode(key: str, value: Any) -> Any:
    if key in _JSON_FIELDS and isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _error(fault: Fault) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": fault.status, "description": fault.description}
    if fault.parameters:
        body["parameters"] = fault.parameters
    return web.json_response(body, status=fault.status)


def _ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})


@dataclass
class FakeUser:
    """A Telegram user as the Bot API describes them; each method returns one update, which
    gets its update_id when delivered (`FakeTelegram.push` or `stamp`)."""

    tg: FakeTelegram
    id: int
    first_name: str = "Анна"
    username: str = "anna_reporter"
    language_code: str = "ru"
    group: int | None = None  # writes in this group chat, not in a private chat with the bot
    _last_panel: int | None = field(default=None, repr=False)

    @property
    def chat(self) -> dict[str, Any]:
        if self.group is not None:
            return {"id": self.group, "type": "supergroup", "title": "Chat"}
        return {"id": self.id, "type": "private", "first_name": self.first_name, "username": self.username}

    @property
    def user(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "is_bot": False,
            "first_name": self.first_name,
            "username": self.username,
            "language_code": self.language_code,
        }

    def _message(self, **content: Any) -> dict[str, Any]:
        message = {
            "message_id": 10_000 + self.tg.new_update_id(),
            "date": int(time.time()),
            "chat": self.chat,
            "from": self.user,
            **content,
        }
        return {"message": message}

    def text(self, text: str) -> dict[str, Any]:
        if text.startswith("/"):
            command = text.split()[0]
            return self._message(text=text, entities=[{"type": "bot_command", "offset": 0, "length": len(command)}])
        return self._message(text=text)

    def location(self, lat: float, lon: float) -> dict[str, Any]:
        return self._message(location={"latitude": lat, "longitude": lon})

    def sticker(self) -> dict[str, Any]:
        sticker = {
            "file_id": "CAAC", "file_unique_id": "u1", "type": "regular",
            "width": 512, "height": 512, "is_animated": False, "is_video": False,
        }
        return self._message(sticker=sticker)

    def photo(self) -> dict[str, Any]:
        return self._message(photo=[{"file_id": "PH", "file_unique_id": "p1", "width": 90, "height": 90}])

    def voice(self) -> dict[str, Any]:
        return self._message(voice={"file_id": "VO", "file_unique_id": "v1", "duration": 3})

    def button(self, label: str) -> tuple[int, str]:
        """The newest button on the bot's messages to this user whose label contains `label`."""
        for call in reversed(self.tg.to_chat(self.id)):
            markup = call.params.get("reply_markup") or {}
            for row in markup.get("inline_keyboard", []):
                for button in row:
                    if label in button["text"]:
                        message_id = call.params.get("message_id") or self._sent_id(call)
                        return int(message_id), button["callback_data"]
        raise AssertionError(f"no button {label!r} was shown; last text: {self.tg.last_text(self.id)!r}")

    def _sent_id(self, call: Call) -> int:
        sends = self.tg.to_chat(self.id, "sendMessage")
        return sends.index(call) + 1  # message ids count from 1 per chat

    def press(
        self,
        label: str | None = None,
        *,
        data: str | None = None,
        message_id: int | None = None,
        inaccessible: bool = False,
    ) -> dict[str, Any]:
        """A tap; `inaccessible` as Telegram sends it for a message too old or deleted: date 0, no text."""
        if label is not None:
            message_id, data = self.button(label)
        assert data is not None and message_id is not None
        message: dict[str, Any] = {"message_id": message_id, "date": 0, "chat": self.chat}
        if not inaccessible:
            message.update(date=int(time.time()), text="…", **{"from": BOT_USER})
        query = {
            "id": str(self.tg.new_update_id()),
            "from": self.user,
            "chat_instance": "ci",
            "data": data,
            "message": message,
        }
        return {"callback_query": query}
