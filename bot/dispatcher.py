"""Assembles the bot: routers per feature, the middlewares around them, and the ports they use.

The composition root (infra/bot_part.py) builds `BotPorts` from settings; tests build it
with the in-memory store and a fake read model, and drive the same dispatcher.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from aiogram import Dispatcher
from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage
from aiogram.fsm.storage.memory import MemoryStorage, SimpleEventIsolation
from aiogram.types import ErrorEvent
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot import alerts
from bot.alerts import AlertSubscriptions, MemoryAlertSubscriptions
from bot.gate import Gate, MemoryGate
from bot.guards import MemorySeenUpdates, MemoryThrottle, Throttle
from bot.i18n import ReporterLocale, load_i18n
from bot.middlewares import AnswerEveryTap, EnterGate, PrivateChatsOnly, Pseudonymize, ThrottleReporter
from bot.prefs import MemoryPreferences, Preferences
from bot.routers import basics, checkpoints, fallback, forget, report, settings
from bot.routers.checkpoints import NearbyCheckpoints
from bot.conversation import is_report
from domain.application import Svodka
from domain.model import utc_now
from domain.places import Gazetteer

log = logging.getLogger("svodka.bot")


@dataclass
class BotPorts:
    svodka: Svodka
    pseudonymize: Callable[[int], str]
    nearby_checkpoints: NearbyCheckpoints
    gazetteer: Gazetteer = field(default_factory=Gazetteer.default)
    prefs: Preferences = field(default_factory=MemoryPreferences)
    throttle: Throttle = field(default_factory=MemoryThrottle)
    # Checks each update in and hands it the prefs and throttle count: give it the same ports.
    gate: Gate | None = None
    clock: Callable[[], datetime] = utc_now
    # Where to get help, by language (SVODKA_HELP_TEXT_RU/_EN): under /help and a detention's receipt.
    help_texts: dict[str, str] = field(default_factory=dict)
    alerts: AlertSubscriptions = field(default_factory=MemoryAlertSubscriptions)

    def __post_init__(self) -> None:
        if self.gate is None:
            assert isinstance(self.throttle, MemoryThrottle), "a shared throttle needs its shared gate"
            self.gate = MemoryGate(MemorySeenUpdates(), self.throttle, self.prefs)


def build_dispatcher(
    ports: BotPorts,
    storage: BaseStorage | None = None,
    isolation: BaseEventIsolation | None = None,
    i18n: I18n | None = None,
) -> Dispatcher:
    i18n = i18n or load_i18n()
    dp = Dispatcher(
        storage=storage or MemoryStorage(),
        # One update at a time per reporter: a double-tapped button sees the first tap's state.
        events_isolation=isolation or SimpleEventIsolation(),
        disable_fsm=True,  # registered below, inside the gate
        svodka=ports.svodka,
        gazetteer=ports.gazetteer,
        prefs=ports.prefs,
        throttle=ports.throttle,
        nearby_checkpoints=ports.nearby_checkpoints,
        clock=ports.clock,
        help_texts=ports.help_texts,
        alerts=ports.alerts,
    )
    assert ports.gate is not None
    dp.update.outer_middleware(AnswerEveryTap())  # first: whatever fails after it, even Redis
    dp.update.outer_middleware(PrivateChatsOnly(i18n))
    dp.update.outer_middleware(Pseudonymize(ports.pseudonymize))
    dp.update.outer_middleware(EnterGate(ports.gate, dp.fsm))
    dp.update.outer_middleware(dp.fsm)
    ReporterLocale(i18n).setup(dp)
    throttle = ThrottleReporter(ports.throttle.limit)
    dp.message.outer_middleware(throttle)
    dp.callback_query.outer_middleware(throttle)
    dp.include_routers(*(m.router.build() for m in (basics, settings, forget, checkpoints, alerts, report, fallback)))

    @dp.errors()
    async def apologise(event: ErrorEvent, raw_state: str | None = None) -> None:
        """A bug must not show the reporter a traceback, nor log their data: the type is enough.

        Said in the reporter's language: ReporterLocale wraps this handler too, so the locale in
        effect is the one chosen with /lang (or Telegram's, if their preferences can't be read).
        It promises kept answers only when a report is open, the one state where that is true.
        """
        log.error("update failed", extra={"error": type(event.exception).__name__})
        update = event.update
        message = update.message or (update.callback_query.message if update.callback_query else None)
        if message is None or message.bot is None:
            return
        if is_report(raw_state):
            text = _("Something went wrong on our side. Please try again; your answers so far are kept.")
        else:
            text = _("Something went wrong on our side. Please try again.")
        try:
            await message.bot.send_message(message.chat.id, text)
        except Exception:
            pass

    return dp
