"""Middlewares: skip redelivered updates, turn the Telegram user into a pseudonym, throttle floods."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods import TelegramMethod
from aiogram.methods.base import Response, TelegramType
from aiogram.types import CallbackQuery, Message, TelegramObject, Update
from aiogram.utils.i18n import gettext as _

from bot.guards import SeenUpdates, Throttle

log = logging.getLogger("svodka.bot")
Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class SkipRedelivered(BaseMiddleware):
    """An update_id handled once is never handled again (webhook retries, restarts mid-batch)."""

    def __init__(self, seen: SeenUpdates) -> None:
        self.seen = seen

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        assert isinstance(event, Update)
        bot: Bot = data["bot"]
        if not await self.seen.first_time(bot.id, event.update_id):
            log.info("redelivered update skipped", extra={"update_id": event.update_id})
            return None
        try:
            return await handler(event, data)
        except BaseException:
            # It failed, so a redelivery must be allowed to try again.
            await self.seen.release(bot.id, event.update_id)
            raise


class Pseudonymize(BaseMiddleware):
    """Handlers get `reporter`, the HMAC pseudonym; an update with no user is not for this bot."""

    def __init__(self, pseudonymize: Callable[[int], str]) -> None:
        self.pseudonymize = pseudonymize

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        user = data.get("event_from_user")
        if user is None or user.is_bot:
            return None
        data["reporter"] = self.pseudonymize(user.id)
        return await handler(event, data)


class ThrottleReporter(BaseMiddleware):
    """Over the limit: one polite warning per window, then silence until the window ends."""

    def __init__(self, throttle: Throttle) -> None:
        self.throttle = throttle

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        count = await self.throttle.hit(data["reporter"])
        if count <= self.throttle.limit:
            return await handler(event, data)
        if count == self.throttle.limit + 1:
            text = _("You are sending messages too fast. Please wait a minute, then carry on.")
            if isinstance(event, CallbackQuery):
                await event.answer(text, show_alert=True)
            elif isinstance(event, Message):
                await event.answer(text)
        elif isinstance(event, CallbackQuery):
            # Silence, but stop the button's spinner; answering costs nothing against the send cap.
            await event.answer()
        return None


class RetryAfter(BaseRequestMiddleware):
    """A 429 from Telegram is waited out and the call repeated, never dropped."""

    def __init__(self, attempts: int = 5) -> None:
        self.attempts = attempts

    async def __call__(
        self, make_request: NextRequestMiddlewareType[TelegramType], bot: Bot, method: TelegramMethod[TelegramType]
    ) -> Response[TelegramType]:
        for attempt in range(1, self.attempts + 1):
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as error:
                if attempt == self.attempts:
                    raise
                log.warning(
                    "Telegram asked to slow down",
                    extra={"method": method.__api_method__, "retry_after": error.retry_after},
                )
                await asyncio.sleep(error.retry_after)
        raise AssertionError("unreachable")


class KeepResponseTypes(BaseRequestMiddleware):
    """aiogram parses every answer as `Response[<the method's result type>]`, and pydantic caches
    those generic classes only weakly: each garbage collection dropped them, and the next call
    built the class again (milliseconds of schema generation, several times a second under load).
    Holding each one here keeps pydantic's cache warm for the life of the session."""

    def __init__(self) -> None:
        self.kept: dict[Any, type] = {}

    async def __call__(
        self, make_request: NextRequestMiddlewareType[TelegramType], bot: Bot, method: TelegramMethod[TelegramType]
    ) -> Response[TelegramType]:
        returning = method.__returning__
        if returning not in self.kept:
            self.kept[returning] = Response[returning]  # type: ignore[valid-type]
        return await make_request(bot, method)
