"""/checkpoints: active checkpoints near a shared point or a city, each with "still there" and "gone"."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Protocol
from uuid import UUID

from aiogram import F
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _

from bot.callbacks import CheckpointVote
from bot.conversation import close_report
from bot.middlewares import Tap, is_answer
from bot.panel import show
from bot.prefs import keeps_summary
from bot.routing import Handlers
from bot.states import CheckpointSearch
from bot.views import city_name
from domain.application import Svodka
from domain.errors import DomainError, UnknownPlace
from domain.places import Gazetteer

log = logging.getLogger("svodka.bot")
router = Handlers("checkpoints")
SHOWN = 5


class Checkpoint(Protocol):
    """What the read model tells about an active checkpoint (projections' ActiveCheckpoint)."""

    id: UUID
    region: str
    city: str | None
    last_confirmed_at: datetime
    expires_at: datetime
    confirmations: int


# The composition root wires this to the read model: (lat, lon) -> active checkpoints nearby.
NearbyCheckpoints = Callable[[float, float], Awaitable[Sequence[Checkpoint]]]


@router.message(Command("checkpoints"))
async def ask_where(
    message: Message, state: FSMContext, raw_state: str | None, saved_prefs: dict[str, str] | None = None
) -> None:
    assert message.bot is not None
    await close_report(
        message.bot, message.chat.id, state, raw_state,
        _("This report was closed when you opened /checkpoints. Nothing was sent; send /report to start again."),
        wipe=not keeps_summary(saved_prefs or {}),
    )
    await state.set_state(CheckpointSearch.place)
    sent = await message.answer(_("Where? Send your location (📎 → Location) or type a city."))
    await state.set_data({"panel": sent.message_id})


@router.message(CheckpointSearch.place, F.location)
async def near_location(
    message: Message, state: FSMContext, gazetteer: Gazetteer, nearby_checkpoints: NearbyCheckpoints
) -> None:
    assert message.location is not None
    lat, lon = message.location.latitude, message.location.longitude
    try:
        gazetteer.nearest(lat, lon)
    except UnknownPlace:
        await _reprompt(message, state, _("This location is outside the area svodka covers. Type the city instead."))
        return
    await _list(message, state, lat, lon, gazetteer, nearby_checkpoints)


@router.message(CheckpointSearch.place, F.text, F.func(is_answer))
async def in_city(
    message: Message, state: FSMContext, gazetteer: Gazetteer, nearby_checkpoints: NearbyCheckpoints
) -> None:
    city = gazetteer.city(message.text or "") if len(message.text or "") <= 100 else None
    if city is None:
        hints = ", ".join(city_name(c) for c in gazetteer.suggest((message.text or "")[:100]))
        warning = _("I don't know this city. Check the spelling, or send your location.")
        if hints:
            warning += " " + _("Did you mean: {names}?").format(names=hints)
        await _reprompt(message, state, warning)
        return
    await _list(message, state, city.lat, city.lon, gazetteer, nearby_checkpoints)


@router.message(CheckpointSearch.place, F.func(is_answer))
async def place_expected(message: Message, state: FSMContext) -> None:
    await _reprompt(message, state, _("Please type the city, or send your location."))


async def _reprompt(message: Message, state: FSMContext, warning: str) -> None:
    data = await state.get_data()
    text = f"⚠️ {warning}\n\n" + _("Where? Send your location (📎 → Location) or type a city.")
    data["panel"] = await show(message.bot, message.chat.id, data.get("panel"), text)  # type: ignore[arg-type]
    await state.set_data(data)


async def _list(
    message: Message,
    state: FSMContext,
    lat: float,
    lon: float,
    gazetteer: Gazetteer,
    nearby_checkpoints: NearbyCheckpoints,
) -> None:
    bot = message.bot
    assert bot is not None
    data = await state.get_data()
    await state.clear()
    try:
        found = list(await nearby_checkpoints(lat, lon))
    except Exception as error:  # the read model is unavailable: say so, never a traceback
        log.error("checkpoints unavailable", extra={"error": type(error).__name__})
        await show(bot, message.chat.id, data.get("panel"), _("Checkpoints cannot be shown just now. Please try again later."))
        return
    if not found:
        await show(bot, message.chat.id, data.get("panel"), _("No active checkpoints reported near there."))
        return
    lines, rows = [_("Active checkpoints nearby:")], []
    for n, cp in enumerate(found[:SHOWN], start=1):
        tz = gazetteer.region(cp.region).tz()
        place = city_name(gazetteer.city_by_name_en(cp.city)) if cp.city else gazetteer.region(cp.region).name_en
        lines.append(
            _("{n}. {place}: last confirmed {time}, {count} confirmations, until {until}").format(
                n=n,
                place=place,
                time=cp.last_confirmed_at.astimezone(tz).strftime("%H:%M"),
                count=cp.confirmations,
                until=cp.expires_at.astimezone(tz).strftime("%H:%M"),
            )
        )
        rows.append(
            [
                InlineKeyboardButton(
                    text=_("✅ {n} still there").format(n=n),
                    callback_data=CheckpointVote(act="still", id=cp.id.hex).pack(),
                ),
                InlineKeyboardButton(
                    text=_("❌ {n} gone").format(n=n), callback_data=CheckpointVote(act="gone", id=cp.id.hex).pack()
                ),
            ]
        )
    markup = InlineKeyboardMarkup(inline_keyboard=rows)
    await show(bot, message.chat.id, data.get("panel"), "\n".join(lines), markup)


@router.callback_query(CheckpointVote.filter())
async def vote(cb: CallbackQuery, callback_data: CheckpointVote, reporter: str, svodka: Svodka, tap: Tap) -> None:
    try:
        rid = UUID(hex=callback_data.id)
        still = callback_data.act == "still"
        change = svodka.confirm_checkpoint if still else svodka.clear_checkpoint
        counted = await asyncio.to_thread(change, rid, by=reporter)
    except (ValueError, DomainError):
        await tap.answer(_("This checkpoint can no longer be updated."), alert=True)
        return
    except Exception as error:
        log.error("checkpoint vote not stored", extra={"error": type(error).__name__})
        await tap.answer(_("Could not save that just now. Please try again in a minute."), alert=True)
        return
    if counted:
        await tap.answer(_("Thank you, noted."))
    elif still:  # a repeat changes nothing: say so rather than thank them for it
        await tap.answer(_("You already said this checkpoint is still there; your vote counts once."))
    else:
        await tap.answer(_("You already said this checkpoint is gone; your vote counts once."))
