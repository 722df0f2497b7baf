"""The one message a conversation edits in place: fewer sends, so more reporters served in a surge.

The panel goes out through lean forms of sendMessage and editMessageText: the keyboard may be
given already as Bot API JSON (the report's keyboards are rendered once per language and step,
see views.py), and of Telegram's answer only the message id is read, where aiogram would
rebuild the whole message, keyboard included, button by button.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, ClassVar

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.methods import EditMessageText, SendMessage
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from pydantic import BaseModel

log = logging.getLogger("svodka.bot")
# deleteMessages takes at most this many ids at once.
DELETE_BATCH = 100

# A keyboard as aiogram's object, or as the JSON the Bot API takes for reply_markup.
Markup = InlineKeyboardMarkup | str | None


class Shown(BaseModel):
    """What the panel needs of the message Telegram returns: its id, and when Telegram showed it
    (by Telegram's clock, the one that dates the reporter's messages); the rest is ignored."""

    message_id: int
    date: int = 0
    edit_date: int | None = None

    @property
    def at(self) -> int:
        return self.edit_date or self.date


class _SendPanel(SendMessage):
    __returning__: ClassVar[Any] = Shown
    reply_markup: InlineKeyboardMarkup | str | None = None  # type: ignore[assignment]


class _EditPanel(EditMessageText):
    __returning__: ClassVar[Any] = Shown | bool
    reply_markup: InlineKeyboardMarkup | str | None = None  # type: ignore[assignment]


async def show(bot: Bot, chat_id: int, panel: int | None, text: str, markup: Markup = None) -> int:
    """Edit the panel, or send a new one when there is none or it can no longer be edited.

    Returns the panel's message id, which the caller keeps in the conversation state. (An edit
    that changes nothing succeeds: bot/outgoing.py.)
    """
    return (await show_when(bot, chat_id, panel, text, markup))[0]


async def show_when(
    bot: Bot, chat_id: int, panel: int | None, text: str, markup: Markup = None
) -> tuple[int, int | None]:
    """`show`, and when Telegram showed the text (None if it was already showing)."""
    if panel is not None:
        try:
            edited = await bot(_EditPanel(text=text, chat_id=chat_id, message_id=panel, reply_markup=markup))
            return panel, edited.at if isinstance(edited, Shown) else None
        except TelegramBadRequest:
            pass  # deleted, or too old to edit: a new panel takes its place
    sent = await bot(_SendPanel(chat_id=chat_id, text=text, reply_markup=markup))
    return sent.message_id, sent.at


async def show_instead(callback: CallbackQuery, text: str) -> None:
    """Put `text` in place of the tapped message; a tap on a message too old or deleted (Telegram
    sends it inaccessible: date 0, nothing to edit) gets it in a new message."""
    message = callback.message
    if message is None or callback.bot is None:
        return
    tapped = message.message_id if isinstance(message, Message) else None
    await show(callback.bot, message.chat.id, tapped, text)


async def erase(bot: Bot, chat_id: int, message_ids: Sequence[int]) -> bool:
    """Delete these messages from the chat; True if Telegram took them all away.

    One deleteMessages call rather than one deleteMessage per message: the chat's flood limit
    (1 a second, bursts of 3, bot/outgoing.py) would otherwise hold the next reply for seconds.
    A failure (a message too old, Telegram down) is logged and returned, never raised: what the
    reporter sent is stored by then, and tidying the chat must not undo that."""
    ids = list(dict.fromkeys(message_ids))
    try:
        for start in range(0, len(ids), DELETE_BATCH):
            await bot.delete_messages(chat_id=chat_id, message_ids=ids[start : start + DELETE_BATCH])
    except Exception as error:  # noqa: BLE001 - see above
        log.warning("messages not deleted", extra={"error": type(error).__name__})
        return False
    return True
