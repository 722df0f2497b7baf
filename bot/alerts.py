"""/alerts: a reporter subscribes to checkpoint alerts for a city or a region, and unsubscribes;
and what an alert (or its "gone") says when the outbox sends it.

Subscriptions go through a port (`AlertSubscriptions`): the composition root keeps them under
the reporter's reference with their chat sealed by their own key (infra), tests may keep them
in memory. The handlers only turn taps into calls.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any, Protocol

from aiogram import F
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import get_i18n
from aiogram.utils.i18n import gettext as _

from bot.callbacks import CheckpointVote
from bot.conversation import close_report
from bot.middlewares import Tap, is_answer
from bot.panel import show
from bot.prefs import keeps_summary
from bot.routing import Handlers
from bot.views import city_name
from domain.alert_area import CITY, REGION, check_area, city_area, region_area
from domain.errors import UnknownPlace
from domain.places import City, Gazetteer

log = logging.getLogger("svodka.bot")
router = Handlers("alerts")
MOST = 10  # areas per reporter: enough for a city and its region a few times over, not a scraper's list


class AlertSubscriptions(Protocol):
    """Keyed by the reporter's pseudonym as the bot knows it; kept under their reference."""

    async def areas(self, reporter: str) -> list[str]: ...
    async def subscribe(self, reporter: str, chat_id: int, area: str, lang: str) -> None: ...
    async def relanguage(self, reporter: str, lang: str) -> None:
        """/lang: alerts follow the language the reporter uses now, not the one they subscribed in."""
    async def unsubscribe(self, reporter: str, area: str) -> None: ...
    async def forget(self, reporter: str) -> None:
        """Before their key is destroyed: afterwards nothing leads from the pseudonym to the rows."""


class MemoryAlertSubscriptions:
    """For a bot with no database (tests): lives and dies with the process."""

    def __init__(self) -> None:
        self.kept: dict[str, dict[str, tuple[int, str]]] = {}

    async def areas(self, reporter: str) -> list[str]:
        return sorted(self.kept.get(reporter, {}))

    async def subscribe(self, reporter: str, chat_id: int, area: str, lang: str) -> None:
        self.kept.setdefault(reporter, {})[area] = (chat_id, lang)

    async def relanguage(self, reporter: str, lang: str) -> None:
        for area, (chat_id, _old) in self.kept.get(reporter, {}).items():
            self.kept[reporter][area] = (chat_id, lang)

    async def unsubscribe(self, reporter: str, area: str) -> None:
        self.kept.get(reporter, {}).pop(area, None)
        if not self.kept.get(reporter, True):
            del self.kept[reporter]

    async def forget(self, reporter: str) -> None:
        self.kept.pop(reporter, None)


class AlertsForm(StatesGroup):
    place = State()


class AlertArea(CallbackData, prefix="al"):
    act: str  # on | off | done
    area: str = ""  # "<r|c>.<code or city>": ':' separates the payload's fields


def _pack(act: str, area: str = "") -> str:
    kind, _sep, name = area.partition(":")
    return AlertArea(act=act, area=f"{kind[:1]}.{name}" if area else "").pack()


def _unpack(payload: str) -> str:
    kind, _sep, name = payload.partition(".")
    return region_area(name) if kind == "r" else city_area(name) if kind == "c" else ""


def area_name(area: str, gazetteer: Gazetteer) -> str:
    kind, _sep, name = area.partition(":")
    if kind == CITY:
        return city_name(gazetteer.city_by_name_en(name))
    return gazetteer.name(name, "ru" if get_i18n().current_locale == "ru" else "en")


# -- the panel ------------------------------------------------------------------------------


def _panel(areas: list[str], gazetteer: Gazetteer, note: str | None = None) -> tuple[str, InlineKeyboardMarkup]:
    lines = [note] if note else []
    lines.append(_("Checkpoint alerts: I write to you when a checkpoint in your city or region is "
                   "confirmed by two people or verified by a moderator, and again when it is gone."))  # fmt: skip
    if areas:
        names = ", ".join(area_name(a, gazetteer) for a in areas)
        lines.append(_("You get alerts for: {places}.").format(places=names))
    else:
        lines.append(_("You get no alerts yet."))
    if len(areas) < MOST:
        lines.append(_("To add a place, type a city or send your location."))
    lines.append(_("For this svodka keeps the places you chose and your chat number, encrypted with your "
                   "own key; unsubscribing from the last place or /forget deletes them."))  # fmt: skip
    rows = [
        [InlineKeyboardButton(text=_("🔕 Stop: {place}").format(place=area_name(a, gazetteer)),
                              callback_data=_pack("off", a))]  # fmt: skip
        for a in areas
    ]
    rows.append([InlineKeyboardButton(text=_("✔ Done"), callback_data=_pack("done"))])
    return "\n\n".join(lines), InlineKeyboardMarkup(inline_keyboard=rows)


@router.message(Command("alerts"))
async def open_alerts(
    message: Message, state: FSMContext, raw_state: str | None, reporter: str, gazetteer: Gazetteer,
    alerts: AlertSubscriptions, saved_prefs: dict[str, str] | None = None,
) -> None:  # fmt: skip
    assert message.bot is not None
    await close_report(
        message.bot, message.chat.id, state, raw_state,
        _("This report was closed when you opened /alerts. Nothing was sent; send /report to start again."),
        wipe=not keeps_summary(saved_prefs or {}),
    )  # fmt: skip
    await state.clear()
    text, markup = _panel(await alerts.areas(reporter), gazetteer)
    await state.set_state(AlertsForm.place)
    sent = await message.answer(text, reply_markup=markup)
    await state.set_data({"panel": sent.message_id})


@router.message(AlertsForm.place, F.location)
async def near_location(message: Message, state: FSMContext, gazetteer: Gazetteer) -> None:
    assert message.location is not None
    try:
        city = gazetteer.nearest(message.location.latitude, message.location.longitude)
    except UnknownPlace:
        await _say(message, state, _("This location is outside the area svodka covers. Type the city instead."))
        return
    await _offer(message, state, city, gazetteer)


@router.message(AlertsForm.place, F.text, F.func(is_answer))
async def in_city(message: Message, state: FSMContext, gazetteer: Gazetteer) -> None:
    text = (message.text or "")[:100]
    city = gazetteer.city(text)
    if city is None:
        hints = ", ".join(city_name(c) for c in gazetteer.suggest(text))
        warning = _("I don't know this city. Check the spelling, or send your location.")
        if hints:
            warning += " " + _("Did you mean: {names}?").format(names=hints)
        await _say(message, state, warning)
        return
    await _offer(message, state, city, gazetteer)


async def _offer(message: Message, state: FSMContext, city: City, gazetteer: Gazetteer) -> None:
    """A city can stand for itself or for its whole region: the reporter picks."""
    region = region_area(gazetteer.region(city.region).code)
    rows = [
        [InlineKeyboardButton(text=_("🔔 {place}").format(place=city_name(city)),
                              callback_data=_pack("on", city_area(city.name_en)))],
        [InlineKeyboardButton(text=_("🔔 All of {place}").format(place=area_name(region, gazetteer)),
                              callback_data=_pack("on", region))],
        [InlineKeyboardButton(text=_("✔ Done"), callback_data=_pack("done"))],
    ]  # fmt: skip
    question = _("Alerts for {city} only, or for all of {region}?").format(
        city=city_name(city), region=area_name(region, gazetteer))
    await _say(message, state, question, InlineKeyboardMarkup(inline_keyboard=rows))


async def _say(message: Message, state: FSMContext, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
    data = await state.get_data()
    data["panel"] = await show(message.bot, message.chat.id, data.get("panel"), text, markup)  # type: ignore[arg-type]
    await state.set_data(data)


@router.callback_query(AlertArea.filter())
async def tap_area(
    cb: CallbackQuery, callback_data: AlertArea, state: FSMContext, reporter: str, gazetteer: Gazetteer,
    alerts: AlertSubscriptions, tap: Tap,
) -> None:  # fmt: skip
    message = cb.message
    if message is None or cb.bot is None:
        return
    panel = message.message_id if isinstance(message, Message) else None
    if callback_data.act == "done":
        await tap.answer()
        await state.clear()
        areas = await alerts.areas(reporter)
        text = _("Alerts are on for: {places}.").format(places=", ".join(area_name(a, gazetteer) for a in areas)) \
            if areas else _("You get no checkpoint alerts. /alerts to subscribe.")  # fmt: skip
        await show(cb.bot, message.chat.id, panel, text)
        return
    try:
        area = check_area(_unpack(callback_data.area), gazetteer)
    except UnknownPlace:
        await tap.answer(_("This button is out of date. Send /alerts again."), alert=True)
        return
    try:
        if callback_data.act == "on":
            if area not in (known := await alerts.areas(reporter)) and len(known) >= MOST:
                await tap.answer(_("That is as many places as you can follow. Stop one first."), alert=True)
                return
            await alerts.subscribe(reporter, message.chat.id, area, get_i18n().current_locale)
            note = _("🔔 Subscribed: {place}.")
        else:
            await alerts.unsubscribe(reporter, area)
            note = _("🔕 Unsubscribed: {place}.")
    except Exception as error:  # the database is away: say so, never a traceback
        log.error("alert subscription not saved", extra={"error": type(error).__name__})
        await tap.answer(_("Could not save that just now. Please try again in a minute."), alert=True)
        return
    await tap.answer()
    await state.set_state(AlertsForm.place)
    text, markup = _panel(await alerts.areas(reporter), gazetteer, note.format(place=area_name(area, gazetteer)))
    await state.set_data({"panel": await show(cb.bot, message.chat.id, panel, text, markup)})


# -- what an alert says (the outbox's alert sender calls this in the subscriber's language) ------


def alert_message(facts: dict[str, Any], gazetteer: Gazetteer) -> tuple[str, str | None]:
    """The text and (for a credible checkpoint) the keyboard, as Bot API JSON, of an alert whose
    facts the outbox follower wrote: the place to about 1 km, since when, and how to vote."""
    region = gazetteer.region(facts["region"])
    place = city_name(gazetteer.city_by_name_en(facts["city"])) if facts.get("city") else area_name(
        region_area(region.code), gazetteer)  # fmt: skip
    since = datetime.fromisoformat(facts["since"]).astimezone(region.tz()).strftime("%H:%M")
    near = ""
    if facts.get("lat") is not None and facts.get("lon") is not None:
        near = _(" (about 1 km around {lat:.2f}, {lon:.2f})").format(lat=facts["lat"], lon=facts["lon"])
    if facts["what"] == "checkpoint.gone":
        return _("✅ The checkpoint in {place}{near}, reported at {since}, is gone.").format(
            place=place, near=near, since=since), None  # fmt: skip
    why = _("verified by a moderator") if facts.get("why") == "verified" else _("confirmed by two people")
    text = _("🚧 Checkpoint in {place}{near}, since {since}, {why}.\n"
             "Are you near it? Tell others whether it is still there.\n"
             "/alerts to change your alerts.").format(place=place, near=near, since=since, why=why)  # fmt: skip
    rid = facts["id"].replace("-", "")
    buttons = [[
        {"text": _("✅ Still there"), "callback_data": CheckpointVote(act="still", id=rid).pack()},
        {"text": _("❌ Gone"), "callback_data": CheckpointVote(act="gone", id=rid).pack()},
    ]]  # fmt: skip
    return text, json.dumps({"inline_keyboard": buttons}, ensure_ascii=False, separators=(",", ":"))
