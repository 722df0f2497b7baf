"""/forget: crypto-shred the reporter's personal data, after they confirm."""

from __future__ import annotations

import asyncio
import logging

from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _

from bot.alerts import AlertSubscriptions
from bot.callbacks import Forget
from bot.guards import Throttle
from bot.middlewares import Tap
from bot.panel import show_instead
from bot.prefs import Preferences
from bot.routing import Handlers
from domain.application import Svodka
from domain.errors import InvalidTransition

log = logging.getLogger("svodka.bot")
router = Handlers("forget")


@router.message(Command("forget"))
async def ask(message: Message) -> None:
    rows = [
        [
            InlineKeyboardButton(text=_("Yes, erase my data"), callback_data=Forget(sure=True).pack()),
            InlineKeyboardButton(text=_("No, keep it"), callback_data=Forget(sure=False).pack()),
        ]
    ]
    await message.answer(
        _(
            "This destroys the key to your descriptions and exact locations: nobody, including us, "
            "can read them again. Your reports still count, anonymously. It cannot be undone. Erase?"
        ),
        reply_markup=InlineKeyboardMarkup(inline_keyboard=rows),
    )


@router.callback_query(Forget.filter())
async def answer(
    cb: CallbackQuery,
    callback_data: Forget,
    reporter: str,
    svodka: Svodka,
    prefs: Preferences,
    throttle: Throttle,
    state: FSMContext,
    tap: Tap,
    alerts: AlertSubscriptions,
) -> None:
    if not callback_data.sure:
        await tap.answer()
        await show_instead(cb, _("Nothing was erased."))
        return
    try:
        await alerts.forget(reporter)  # first: once the key is gone, nothing finds their subscriptions
        await asyncio.to_thread(svodka.forget_reporter, reporter, by="reporter")
    except InvalidTransition:
        pass  # forgotten before: the key is gone (the domain shreds it first); finish the rest
    except Exception as error:
        log.error("forget failed", extra={"error": type(error).__name__})
        await tap.answer(_("Could not erase just now. Please try /forget again in a minute."), alert=True)
        return
    await tap.answer()
    # Every Redis key computed from the pseudonym goes too, or a dump would still show who used the bot.
    await prefs.forget(reporter)
    await throttle.forget(reporter)
    await state.clear()
    await show_instead(cb, _("Done: your personal data is erased."))
