"""/start, /help, /privacy, /cancel and /lang: the commands that work at any moment."""

from __future__ import annotations

from collections.abc import Callable

from aiogram import Bot
from aiogram.filters import Command, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot.callbacks import Language
from bot.i18n import LANGUAGES
from bot.middlewares import Tap
from bot.panel import show, show_instead
from bot.prefs import Preferences
from bot.routing import Handlers

router = Handlers("basics")


def _says(command: Command, text: Callable[[], str]) -> None:
    async def reply(message: Message) -> None:
        await message.answer(text())

    router.message(command)(reply)


_says(
    CommandStart(),
    lambda: _(
        "Hello! svodka counts detentions and police checkpoints reported by people like you.\n"
        "Send /report to report one in under a minute; /help lists everything else."
    ),
)
_says(
    Command("help"),
    lambda: _(
        "/report — report a detention or a checkpoint\n"
        "/checkpoints — active checkpoints near you, to confirm or clear\n"
        "/privacy — what is kept about you, and what is not\n"
        "/forget — erase your personal data\n"
        "/lang — Русский / English\n"
        "/cancel — stop what you are doing"
    ),
)
# /privacy must say exactly what is kept (docs/ARCHITECTURE.md, "Personal data"); change both together.
_says(
    Command("privacy"),
    lambda: _(
        "What svodka keeps:\n"
        "• Not your Telegram id, username, name or phone number. You are known only by a code "
        "computed from your id with a server secret, which cannot be turned back into your id. "
        "Your reports carry that code, so a flood from one person can be stopped.\n"
        "• For each report: what happened, the city, the time, the number of people, and the "
        "location rounded to about 1 km.\n"
        "• Your description and exact location, if you send them, encrypted with a key of your own. "
        "They are never published.\n"
        "• While you fill in a report, your answers are kept for at most 24 hours, and deleted "
        "when you confirm or cancel.\n"
        "• Your language and the last city you reported, to save you typing, for 90 days.\n\n"
        "Published figures are counts by day, region and city only.\n"
        "/forget destroys your key: your descriptions and exact locations become unreadable for good, "
        "while the anonymous counts stay."
    ),
)


@router.message(Command("cancel"))
async def cancel(message: Message, state: FSMContext, bot: Bot) -> None:
    data = await state.get_data()
    if await state.get_state() is None:
        await message.answer(_("Nothing to cancel. Send /report to start a report."))
        return
    await state.clear()
    text = _("Cancelled. Nothing was sent.")
    if data.get("panel") is not None:
        await show(bot, message.chat.id, data["panel"], text)
    else:
        await message.answer(text)


@router.message(Command("lang"))
async def choose_language(message: Message) -> None:
    names = {"ru": "Русский", "en": "English"}
    rows = [[InlineKeyboardButton(text=names[code], callback_data=Language(code=code).pack()) for code in LANGUAGES]]
    await message.answer(_("Choose your language:"), reply_markup=InlineKeyboardMarkup(inline_keyboard=rows))


@router.callback_query(Language.filter())
async def set_language(
    cb: CallbackQuery, callback_data: Language, reporter: str, prefs: Preferences, i18n: I18n, tap: Tap
) -> None:
    await tap.answer()
    if callback_data.code not in LANGUAGES:
        return
    await prefs.update(reporter, lang=callback_data.code)
    with i18n.use_locale(callback_data.code):
        text = _("Language set: English. Send /report to report.")
    await show_instead(cb, text)
