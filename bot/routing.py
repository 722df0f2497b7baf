"""Handlers declared once per feature module; every Dispatcher gets fresh Routers built from them.

aiogram attaches a Router to one parent only, and tests, benchmarks and several workers in
one process each build their own Dispatcher.

aiogram runs a filter that is not a coroutine (a State, `F.text`) through asyncio.to_thread,
a thread hop per check per update; `build` wraps those in async filters that run on the loop.
It also puts a cheap first look in front of aiogram's command and button filters: every text
passes every `Command` filter and every tap every `CallbackData` filter until one matches, and
those parse (and raise and catch) each time, so text that is not a command, or a payload with
another prefix, is turned away by one string check instead.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiogram import Bot, Router
from aiogram.filters import Command, Filter, StateFilter
from aiogram.filters.callback_data import CallbackQueryFilter
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message, TelegramObject
from magic_filter import MagicFilter


class Handlers:
    def __init__(self, name: str) -> None:
        self.name = name
        self._handlers: list[tuple[str, tuple[Any, ...], Callable[..., Any]]] = []
        self._middlewares: list[tuple[str, Callable[..., Any]]] = []

    def message(self, *filters: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        return self._on("message", filters)

    def callback_query(self, *filters: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        return self._on("callback_query", filters)

    def middleware(self, *observers: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        def register(middleware: Callable[..., Any]) -> Callable[..., Any]:
            self._middlewares.extend((observer, middleware) for observer in observers)
            return middleware

        return register

    def _on(self, observer: str, filters: tuple[Any, ...]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        def register(handler: Callable[..., Any]) -> Callable[..., Any]:
            self._handlers.append((observer, filters, handler))
            return handler

        return register

    def build(self) -> Router:
        router = Router(name=self.name)
        for observer, middleware in self._middlewares:
            router.observers[observer].middleware(middleware)
        for observer, filters, handler in self._handlers:
            router.observers[observer].register(handler, *map(_on_the_loop, filters))
        return router


class _Magic(Filter):
    def __init__(self, magic: MagicFilter) -> None:
        self.magic = magic

    async def __call__(self, event: TelegramObject) -> Any:
        return self.magic.resolve(event)


class _Command(Filter):
    """aiogram's Command, asked only about text that starts with its prefix."""

    def __init__(self, command: Command) -> None:
        self.command = command

    async def __call__(self, message: Message, bot: Bot) -> Any:
        text = message.text or message.caption
        if not text or text[0] not in self.command.prefix:
            return False
        return await self.command(message, bot)

    def update_handler_flags(self, flags: dict[str, Any]) -> None:
        self.command.update_handler_flags(flags)


class _Button(Filter):
    """aiogram's CallbackData filter, asked only about payloads with its prefix."""

    def __init__(self, check: CallbackQueryFilter) -> None:
        self.check = check
        data = check.callback_data
        self.head = f"{data.__prefix__}{data.__separator__}"

    async def __call__(self, query: CallbackQuery) -> Any:
        if not query.data or not query.data.startswith(self.head):
            return False
        return await self.check(query)


def _on_the_loop(check: Any) -> Any:
    if isinstance(check, State | StatesGroup):
        return StateFilter(check)
    if isinstance(check, MagicFilter):
        return _Magic(check)
    if isinstance(check, Command):
        return _Command(check)
    if isinstance(check, CallbackQueryFilter):
        return _Button(check)
    return check
