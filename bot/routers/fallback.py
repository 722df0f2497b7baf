"""Whatever no other router took: a hint for messages, a polite "out of date" for buttons."""

from aiogram import F
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from bot.middlewares import Tap, is_command
from bot.routing import Handlers

router = Handlers("fallback")


@router.message(F.func(is_command))
async def unknown_command(message: Message) -> None:
    """Every known command was taken by an earlier router; an open panel keeps its question."""
    await message.answer(_("I don't know this command. /help lists what I can do."))


@router.message()
async def hint(message: Message) -> None:
    await message.answer(_("Send /report to report a detention or a checkpoint, or /help for more."))


@router.callback_query()
async def old_button(cb: CallbackQuery, tap: Tap) -> None:
    await tap.answer(_("This button is from an old message. Send /report to start a new report."), alert=True)
