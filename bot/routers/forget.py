"""/forget: crypto-shred the reporter's personal data, after they confirm."""

from __future__ import annotations

import asyncio
import logging

from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _

from bot.callbacks import Forget
from bot.prefs import Preferences
from bot.routing import Handlers
from domain.application import Svodka

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
    cb: CallbackQuery, callback_data: Forget, reporter: str, svodka: Svodka, prefs: Preferences, state: FSMContext
) -> None:
    if not callback_data.sure:
        if cb.message is not None:
            await cb.message.edit_text(_("Nothing was erased."))
        await cb.answer()
        return
    try:
        await asyncio.to_thread(svodka.forget_reporter, reporter, by="reporter")
    except Exception as error:
        log.error("forget failed", extra={"error": type(error).__name__})
        await cb.answer(_("Could not erase just now. Please try /forget again in a minute."), show_alert=True)
        return
    await prefs.forget(reporter)
    await state.clear()
    if cb.message is not None:
        await cb.message.edit_text(_("Done: your personal data is erased."))
    await cb.answer()
