"""The outgoing path to the Bot API: how a call survives Telegram's answers.

- An edit that changes nothing is a success: the reporter already sees that text.
- Calls wait their turn against Telegram's flood limits (about 30 messages a second overall and
  1 a second per chat, short bursts allowed) instead of racing for them, and a 429 is waited out
  and retried until a deadline, never given up after a count. Each chat waits in its own line,
  so one chat's wait never holds another's, and a tap's answer (which Telegram does not count)
  never waits at all.
- Calls made in the background (`in_background`: alerts to subscribers) take only a slot that is
  free now, never one ahead, so a reporter's reply, which reserves the next slot, goes before
  every alert still waiting: a wave of alerts never holds up a conversation.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from aiogram import Bot
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.exceptions import TelegramBadRequest, TelegramRetryAfter
from aiogram.methods import TelegramMethod
from aiogram.methods.base import Response, TelegramType

log = logging.getLogger("svodka.bot")

EDITS = frozenset({"editMessageText", "editMessageReplyMarkup", "editMessageCaption"})
# Calls Telegram does not count against a bot's message limits: they never queue.
UNCOUNTED = frozenset({"getUpdates", "getMe", "answerCallbackQuery", "deleteWebhook", "setWebhook", "close", "logOut"})
_BACKGROUND: ContextVar[bool] = ContextVar("svodka_background_call", default=False)


@contextmanager
def in_background() -> Iterator[None]:
    """Calls made inside yield to interactive ones (see FloodControl)."""
    token = _BACKGROUND.set(True)
    try:
        yield
    finally:
        _BACKGROUND.reset(token)


class UnchangedEditIsShown(BaseRequestMiddleware):
    """Telegram refuses an edit identical to the message ("message is not modified"); for the
    reporter that edit has happened, so it returns as one that went through."""

    async def __call__(
        self, make_request: NextRequestMiddlewareType[TelegramType], bot: Bot, method: TelegramMethod[TelegramType]
    ) -> Response[TelegramType]:
        try:
            return await make_request(bot, method)
        except TelegramBadRequest as error:
            if method.__api_method__ in EDITS and "message is not modified" in error.message:
                return True  # type: ignore[return-value]  # what Telegram returns for an edit it made
            raise


@dataclass
class Pace:
    """A limit as a schedule (the generic cell rate algorithm): each call reserves the next slot
    `interval` after the previous one, and may run up to `burst - 1` slots early. Reserving
    rather than polling serves waiting calls in their order, with no herd at each second."""

    interval: float
    burst: int = 1
    due: float = 0.0  # the theoretical time of the next call

    def reserve(self, now: float) -> float:
        """Seconds to wait before this call may go."""
        due = max(self.due, now)
        self.due = due + self.interval
        return max(0.0, due - (self.burst - 1) * self.interval - now)

    def free_in(self, now: float) -> float:
        """Seconds until `reserve` would not wait."""
        return max(0.0, max(self.due, now) - (self.burst - 1) * self.interval - now)

    def hold(self, until: float) -> None:
        """Telegram said wait: nothing goes before `until`."""
        self.due = max(self.due, until + (self.burst - 1) * self.interval)


@dataclass
class FloodControl(BaseRequestMiddleware):
    """Queues counted calls against the overall and per-chat limits, and retries refused ones
    until `deadline` seconds after the call was made. Other failures are not retried here: a
    sendMessage that failed may have been sent.

    Defaults sit just under Telegram's limits (30/s, 1/s per chat), so a 429 is the exception;
    with several bot processes, give each its share of `per_second`."""

    per_second: float = 29.0
    burst: int = 5
    per_chat_per_second: float = 1.0
    chat_burst: int = 3
    deadline: float = 60.0
    clock: Callable[[], float] = field(default=time.monotonic, repr=False)
    _overall: Pace = field(init=False, repr=False)
    _chats: dict[int | str, Pace] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        self._overall = Pace(1.0 / self.per_second, self.burst)

    def _chat(self, chat: int | str) -> Pace:
        pace = self._chats.get(chat)
        if pace is None:
            if len(self._chats) > 50_000:  # forget chats whose slots are all in the past
                now = self.clock()
                self._chats = {k: v for k, v in self._chats.items() if v.due > now}
            pace = self._chats[chat] = Pace(1.0 / self.per_chat_per_second, self.chat_burst)
        return pace

    async def __call__(
        self, make_request: NextRequestMiddlewareType[TelegramType], bot: Bot, method: TelegramMethod[TelegramType]
    ) -> Response[TelegramType]:
        name = method.__api_method__
        if name == "getUpdates":
            return await make_request(bot, method)
        chat = getattr(method, "chat_id", None)
        counted = name not in UNCOUNTED and chat is not None
        give_up = self.clock() + self.deadline
        while True:
            if counted:
                await self._turn(chat)  # type: ignore[arg-type]
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as error:
                wait = float(error.retry_after)
                log.warning("Telegram asked to slow down", extra={"method": name, "retry_after": error.retry_after})
            if self.clock() + wait > give_up:
                raise TimeoutError(f"{name} not delivered within {self.deadline:.0f} s")
            if counted:
                self._chat(chat).hold(self.clock() + wait)  # type: ignore[arg-type]  # _turn waits it out
            else:
                await asyncio.sleep(wait)

    async def _turn(self, chat: int | str) -> None:
        """Wait for this chat's next slot, then for a slot overall."""
        delay = self._chat(chat).reserve(self.clock())
        if delay:
            await asyncio.sleep(delay)
        if _BACKGROUND.get():
            # Poll for a slot free now rather than queue for one: the queue is for reporters.
            while wait := self._overall.free_in(self.clock()):
                await asyncio.sleep(wait)
        delay = self._overall.reserve(self.clock())
        if delay:
            await asyncio.sleep(delay)
