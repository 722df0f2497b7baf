"""The one message a conversation edits in place: fewer sends, so more reporters served in a surge."""

from __future__ import annotations

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, InlineKeyboardMarkup


async def show(
    bot: Bot,
    chat_id: int,
    panel: int | None,
    text: str,
    markup: InlineKeyboardMarkup | None = None,
) -> int:
    """Edit the panel, or send a new one when there is none or it can no longer be edited.

    Returns the panel's message id, which the caller keeps in the conversation state.
    """
    if panel is not None:
        try:
            await bot.edit_message_text(text=text, chat_id=chat_id, message_id=panel, reply_markup=markup)
            return panel
        except TelegramBadRequest as error:
            if "not modified" in error.message:
                return panel  # the reprompt already shows: nothing to change
    sent = await bot.send_message(chat_id, text, reply_markup=markup)
    return sent.message_id


def panel_of(callback: CallbackQuery) -> int | None:
    message = callback.message
    return message.message_id if message is not None else None
