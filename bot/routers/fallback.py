"""Whatever no other router took: a hint for messages, a polite "out of date" for buttons."""

from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from bot.routing import Handlers

router = Handlers("fallback")


@router.message()
async def hint(message: Message) -> None:
    await message.answer(_("Send /report to report a detention or a checkpoint, or /help for more."))


@router.callback_query()
async def old_button(cb: CallbackQuery) -> None:
    await cb.answer(_("This button is from an old message. Send /report to start a new report."), show_alert=True)
