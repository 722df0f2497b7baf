"""Handlers declared once per feature module; every Dispatcher gets fresh Routers built from them.

aiogram attaches a Router to one parent only, and tests, benchmarks and several workers in
one process each build their own Dispatcher.

aiogram runs a filter that is not a coroutine (a State, `F.text`) through asyncio.to_thread,
a thread hop per check per update; `build` wraps those in async filters that run on the loop.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiogram import Router
from aiogram.filters import Filter, StateFilter
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import TelegramObject
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


def _on_the_loop(check: Any) -> Any:
    if isinstance(check, State | StatesGroup):
        return StateFilter(check)
    if isinstance(check, MagicFilter):
        return _Magic(check)
    return check
