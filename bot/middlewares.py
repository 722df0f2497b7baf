"""Middlewares: private chats only, turn the Telegram user into a pseudonym, skip redelivered
updates, answer every tap exactly once, throttle floods."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.fsm.middleware import FSMContextMiddleware
from aiogram.methods import TelegramMethod
from aiogram.methods.base import Response, TelegramType
from aiogram.types import CallbackQuery, Message, TelegramObject, Update
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot.gate import Gate, Visit
from bot.i18n import language_of

log = logging.getLogger("svodka.bot")
Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


def is_command(message: Message) -> bool:
    """Telegram marks a command it sees at the start of a text; anything else is an answer."""
    return any(e.type == "bot_command" and e.offset == 0 for e in message.entities or ())


def is_answer(message: Message) -> bool:
    """A command is never an answer to the question a panel asks."""
    return not is_command(message)


class PrivateChatsOnly(BaseMiddleware):
    """In a group, a report would be read by everyone, and chatter is not meant for the bot: a
    command gets one line pointing to the private chat, anything else silence, and nothing is kept."""

    def __init__(self, i18n: I18n) -> None:
        self.i18n = i18n

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        assert isinstance(event, Update)
        chat = data.get("event_chat")
        if chat is None or chat.type == "private":
            return await handler(event, data)
        bot: Bot = data["bot"]
        if event.message is not None and is_command(event.message):
            me = await bot.me()
            link = f"https://t.me/{me.username}?start=report"
            with self.i18n.context(), self.i18n.use_locale(language_of(data.get("event_from_user"))):
                text = _("I work only in a private chat, so that nobody else sees your report: {link}").format(link=link)
            await event.message.answer(text)
        # A tap is answered by AnswerEveryTap.
        return None


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


class EnterGate(BaseMiddleware):
    """An update_id handled once is never handled again (webhook retries, restarts mid-batch);
    the others get `entry`: the reporter's rate count and saved preferences. The FSM middleware
    runs inside this one, so with Redis the conversation is read under the lock the gate took."""

    def __init__(self, gate: Gate, fsm: FSMContextMiddleware) -> None:
        self.gate = gate
        self.fsm = fsm

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        assert isinstance(event, Update)
        bot: Bot = data["bot"]
        context = self.fsm.resolve_event_context(bot, data)
        if context is None:  # no user and no chat: nothing a reporter sent
            return None
        counted = event.message is not None or event.callback_query is not None
        visit = Visit(data["reporter"], bot.id, event.update_id, context.key, counted)
        async with self.gate.enter(visit) as entry:
            if not entry.first_time:
                log.info("redelivered update skipped", extra={"update_id": event.update_id})
                if "tap" in data:
                    data["tap"].answered_before()
                return None
            data["entry"] = entry
            return await handler(event, data)


class Tap:
    """A button press, answered exactly once: a handler answers it as soon as it knows what to say
    (before the panel is edited, which may have to queue), and whatever is left unanswered, by a
    handler that returned early or raised, is answered when the update is done."""

    def __init__(self, query: CallbackQuery) -> None:
        self.query = query
        self.answered = False

    def answered_before(self) -> None:
        """A redelivered tap: its first delivery answered it, and Telegram takes one answer."""
        self.answered = True

    async def answer(self, text: str | None = None, *, alert: bool = False) -> None:
        if self.answered:
            return
        self.answered = True
        await self.query.answer(text, show_alert=alert or None)


class AnswerEveryTap(BaseMiddleware):
    """Around the whole update, so that a tap is answered even when the update fails before
    its handler (its Redis unreachable)."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        assert isinstance(event, Update)
        if event.callback_query is None:
            return await handler(event, data)
        tap = data["tap"] = Tap(event.callback_query)
        try:
            return await handler(event, data)
        finally:
            if not tap.answered:
                try:
                    await tap.answer()
                except Exception as error:  # noqa: BLE001 - the update's own outcome matters more
                    log.warning("tap not answered", extra={"error": type(error).__name__})


class ThrottleReporter(BaseMiddleware):
    """Over the limit: one polite warning per window, then silence until the window ends."""

    def __init__(self, limit: int) -> None:
        self.limit = limit

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        count = data["entry"].count  # counted by the gate
        if count <= self.limit:
            return await handler(event, data)
        if count == self.limit + 1:
            text = _("You are sending messages too fast. Please wait a minute, then carry on.")
            if isinstance(event, CallbackQuery):
                await data["tap"].answer(text, alert=True)
            elif isinstance(event, Message):
                await event.answer(text)
        # Otherwise silence; AnswerEveryTap still stops a button's spinner.
        return None


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
