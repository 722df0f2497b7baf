"""/start, /help, /privacy, /cancel and /lang: the commands that work at any moment."""

from __future__ import annotations

from collections.abc import Callable

from aiogram import Bot
from aiogram.filters import Command, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import I18n, get_i18n
from aiogram.utils.i18n import gettext as _

from bot.alerts import AlertSubscriptions
from bot.callbacks import Language
from bot.conversation import clear_away
from bot.i18n import LANGUAGES, in_reporters_language
from bot.middlewares import Tap
from bot.panel import show_instead
from bot.prefs import Preferences, keeps_summary
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


def commands_text() -> str:
    return _(
        "/report — report a detention or a checkpoint\n"
        "/checkpoints — active checkpoints near you, to confirm or clear\n"
        "/privacy — what is kept about you, and what is not\n"
        "/forget — erase your personal data\n"
        "/alerts — checkpoint alerts for your city or region\n"
        "/settings — keep or delete a report's summary in this chat\n"
        "/lang — Русский / English\n"
        "/cancel — stop what you are doing"
    )


@router.message(Command("help"))
async def help_(message: Message, help_texts: dict[str, str] | None = None) -> None:
    """The commands, then where to get help, if the operator said (svodka itself names no one)."""
    where = in_reporters_language(help_texts or {})
    await message.answer(f"{commands_text()}\n\n{where}" if where else commands_text())


# /privacy must say exactly what docs/THREAT_MODEL.md grants ("What the bot tells reporters",
# held by tests/bot/test_privacy_words.py); change both together.
_says(
    Command("privacy"),
    lambda: _(
        "What svodka keeps about you:\n"
        "• Not your Telegram id, username, name or phone number. Your id is replaced by a code. "
        "Someone who seizes the server together with its keys could work the code back to your id.\n"
        "• Your reports do not carry that code but a random number, and only a record kept next to "
        "your key says the number is yours. That is enough to stop a flood from one person.\n"
        "• For each report: what happened, the city, the time to the minute, the number of people, "
        "and the place rounded to about 1 km. These are published as counts.\n"
        "• Your description and exact location, if you send them, encrypted with a key of your own. "
        "They are never published; moderators read them to check reports.\n"
        "• While you fill in a report, your answers are kept for at most an hour, and deleted when "
        "you confirm or cancel. The bot then also deletes your answers and the report from this "
        "chat, unless you chose to keep them with /settings.\n"
        "• Your language, the last city you reported and your /settings, to save you typing, for 90 days.\n"
        "• If you subscribe to checkpoint /alerts: the places you chose and your chat number (which is "
        "your Telegram id), encrypted with your key, until you unsubscribe from the last place or /forget.\n"
        "\n"
        "Telegram itself sees your messages to this bot.\n"
        "/forget deletes your key and that record: your descriptions and exact locations can no "
        "longer be read, and nothing svodka keeps ties your reports to you any more; the anonymous "
        "counts stay. Old copies in the server's backups last until those backups are deleted."
    ),
)


@router.message(Command("cancel"))
async def cancel(message: Message, state: FSMContext, bot: Bot, saved_prefs: dict[str, str] | None = None) -> None:
    data = await state.get_data()
    if await state.get_state() is None:
        await message.answer(_("Nothing to cancel. Send /report to start a report."))
        return
    await state.clear()
    text = _("Cancelled. Nothing was sent.")
    if data.get("panel") is not None:
        draft = {**data, "own": [*data.get("own", ()), message.message_id]}  # /cancel itself goes too
        await clear_away(bot, message.chat.id, draft, text, wipe=not keeps_summary(saved_prefs or {}))
    else:
        await message.answer(text)


@router.message(Command("lang"))
async def choose_language(message: Message) -> None:
    names = {"ru": "Русский", "en": "English"}
    rows = [[InlineKeyboardButton(text=names[code], callback_data=Language(code=code).pack()) for code in LANGUAGES]]
    await message.answer(_("Choose your language:"), reply_markup=InlineKeyboardMarkup(inline_keyboard=rows))


@router.callback_query(Language.filter())
async def set_language(
    cb: CallbackQuery, callback_data: Language, reporter: str, prefs: Preferences, i18n: I18n, tap: Tap,
    alerts: AlertSubscriptions, saved_prefs: dict[str, str] | None = None,
) -> None:  # fmt: skip
    await tap.answer()
    if callback_data.code not in LANGUAGES:
        return
    before = (saved_prefs or {}).get("lang") or get_i18n().current_locale
    await prefs.update(reporter, lang=callback_data.code)  # the store is down: nothing written, an apology
    try:
        await alerts.relanguage(reporter, callback_data.code)
    except Exception:
        # The alerts' database is away: the old language back, so the bot and its alerts agree
        # (never one language in chat and another in alerts); the apology asks to try again.
        await prefs.update(reporter, lang=before)
        raise
    with i18n.use_locale(callback_data.code):
        text = _("Language set: English. Send /report to report.")
    await show_instead(cb, text)
