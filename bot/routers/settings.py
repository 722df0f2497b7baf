"""/settings: whether a report leaves its summary on the phone, or nothing but one line."""

from __future__ import annotations

from aiogram.filters import Command
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _

from bot.callbacks import SummarySetting
from bot.middlewares import Tap
from bot.panel import show
from bot.prefs import KEEP_SUMMARY, Preferences, keeps_summary
from bot.routing import Handlers

router = Handlers("settings")


def settings_panel(keep: bool) -> tuple[str, InlineKeyboardMarkup]:
    if keep:
        text = _(
            "After you send a report, your answers and its summary (what, where, when, how many) stay "
            "in this chat. Anyone who looks at your phone can read them."
        )
        label = _("Delete them after each report")
    else:
        text = _(
            "After you send a report, the bot deletes your answers and the report from this chat, and "
            "leaves one line saying it was saved, because phones are searched at detentions."
        )
        label = _("Keep the summary in the chat")
    button = InlineKeyboardButton(text=label, callback_data=SummarySetting(keep=not keep).pack())
    return text, InlineKeyboardMarkup(inline_keyboard=[[button]])


@router.message(Command("settings"))
async def settings(message: Message, saved_prefs: dict[str, str] | None = None) -> None:
    text, markup = settings_panel(keeps_summary(saved_prefs or {}))
    await message.answer(text, reply_markup=markup)


@router.callback_query(SummarySetting.filter())
async def set_summary(
    cb: CallbackQuery, callback_data: SummarySetting, reporter: str, prefs: Preferences, tap: Tap
) -> None:
    await prefs.update(reporter, summary=KEEP_SUMMARY if callback_data.keep else "delete")
    await tap.answer(_("Saved"))
    if cb.bot is not None and cb.message is not None:
        text, markup = settings_panel(callback_data.keep)
        tapped = cb.message.message_id if isinstance(cb.message, Message) else None
        await show(cb.bot, cb.message.chat.id, tapped, text, markup)
