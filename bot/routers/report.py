"""/report: the guided report. Handlers only turn taps and texts into draft changes and one submit."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from aiogram import F
from aiogram.filters import Command
from aiogram.fsm.state import State
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from bot.callbacks import ReportStep
from bot.conversation import FORGET_FOR_EDIT, ReportConversation, is_report, parse_time, to_new_report
from bot.i18n import in_reporters_language
from bot.middlewares import Tap, is_answer
from bot.prefs import Preferences, keeps_summary
from bot.routing import Handlers
from bot.states import ReportForm
from bot.views import MAX_DESCRIPTION
from domain.application import Svodka
from domain.errors import DomainError, IdempotencyConflict, UnknownPlace
from domain.model import MAX_DETAINED, MIN_DETAINED

log = logging.getLogger("svodka.bot")
router = Handlers("report")
Apply = Callable[[dict[str, Any], str, ReportConversation], bool]


@router.middleware("message", "callback_query")
async def _conversation(handler, event, data: dict[str, Any]) -> Any:
    """Every report handler gets the reporter's conversation, already wired."""
    chat = data.get("event_chat")
    if chat is None:
        return None
    data["conv"] = ReportConversation(
        bot=data["bot"],
        chat_id=chat.id,
        state=data["state"],
        gazetteer=data["gazetteer"],
        clock=data["clock"],
        last_city=data.get("saved_prefs", {}).get("last_city"),
        keep_summary=keeps_summary(data.get("saved_prefs", {})),
        raw_state=data.get("raw_state"),
    )
    conv = data["conv"]
    if isinstance(event, Message) and is_report(conv.raw_state) and is_answer(event):
        await conv.own(event.message_id)  # every handler below keeps the draft, so this is kept too
        if await conv.written_before_asked(int(event.date.timestamp())):
            await conv.reprompt(_("That was sent before the question below was shown, so it was not used. Please answer this question."))
            return None
    return await handler(event, data)


def stale_text() -> str:
    return _("This button is from an old message. Send /report to start a new report.")


def sent_text() -> str:
    """What stays on the phone after a report, by default: nothing of the report itself."""
    return _("✅ Thank you, your report is saved.")


def receipt_text(ref: str) -> str:
    return _(
        "✅ Thank you, your report is saved (reference {ref}). It counts as unverified until a moderator checks it."
    ).format(ref=ref)


async def _current(tap: Tap, tag: str, conv: ReportConversation) -> dict[str, Any] | None:
    draft = await conv.draft()
    if draft.get("tag") != tag:
        await tap.answer(stale_text(), alert=True)
        return None
    return draft


# What each panel button does, by (its action, the question being asked); one handler looks it
# up, so a tap costs one parse of the payload rather than one per registered button handler.
PANEL: dict[tuple[str, str | None], Apply] = {}


def panel_button(act: str, state: State) -> Callable[[Apply], Apply]:
    """`apply` changes the draft and returns False when the button's value makes no sense
    (a forged or outdated payload), which gets the same polite answer as a stale button."""

    def register(apply: Apply) -> Apply:
        PANEL[(act, state.state)] = apply
        return apply

    return register


async def on_panel(
    cb: CallbackQuery,
    callback_data: ReportStep,
    conv: ReportConversation,
    raw_state: str | None,
    reporter: str,
    svodka: Svodka,
    prefs: Preferences,
    tap: Tap,
    help_texts: dict[str, str] | None = None,
) -> None:
    """A report panel button: check the draft's tag, answer the tap, apply the answer, ask the
    next question. Cancel and Confirm are looked up here too, so a tap's payload is parsed once.
    The tap is answered before the panel is edited: an edit may have to queue (bot/outgoing.py)."""
    draft = await _current(tap, callback_data.tag, conv)
    if draft is None:
        return
    if callback_data.act == "cancel":
        await tap.answer()
        await conv.finish(draft, _("Report cancelled. Nothing was sent."))
        return
    if callback_data.act == "confirm" and raw_state == ReportForm.summary.state:
        await confirm(tap, draft, conv, reporter, svodka, prefs, help_texts or {})
        return
    apply = PANEL.get((callback_data.act, raw_state))
    if apply is None or apply(draft, callback_data.val, conv) is False:
        await tap.answer(stale_text(), alert=True)
        return
    await tap.answer()
    await conv.advance(draft)


# -- starting and leaving ---------------------------------------------------------------


@router.message(Command("report"))
async def start(message: Message, conv: ReportConversation) -> None:
    await conv.start(message.message_id)


# -- 1. kind ------------------------------------------------------------------------------


@panel_button("kind", ReportForm.kind)
def chose_kind(draft: dict[str, Any], value: str, conv: ReportConversation) -> bool:
    if value not in ("detention", "checkpoint"):
        return False
    draft["kind"] = value
    if value == "checkpoint":
        draft.pop("detained", None)
    return True


# -- 2. place -------------------------------------------------------------------------------


@router.message(ReportForm.place, F.text, F.func(is_answer))
async def typed_city(message: Message, conv: ReportConversation) -> None:
    text = message.text or ""
    city = conv.gazetteer.city(text) if len(text) <= 100 else None
    if city is None:
        suggestions = conv.gazetteer.suggest(text[:100])
        shown = text if len(text) <= 40 else text[:40] + "…"
        if suggestions:
            warning = _("I don't know the city “{name}”. Did you mean one of these?").format(name=shown)
        else:
            warning = _("I don't know the city “{name}”. Check the spelling, or send your location.").format(
                name=shown
            )
        await conv.reprompt(warning, suggestions=suggestions)
        return
    draft = await conv.draft()
    _set_place(draft, city.region, city.name_en)
    await conv.advance(draft)


@panel_button("city", ReportForm.place)
def chose_city(draft: dict[str, Any], value: str, conv: ReportConversation) -> bool:
    try:
        city = conv.gazetteer.city_by_name_en(value)
    except UnknownPlace:
        return False
    _set_place(draft, city.region, city.name_en)
    return True


@router.message(ReportForm.place, F.location)
async def shared_location(message: Message, conv: ReportConversation) -> None:
    assert message.location is not None
    lat, lon = message.location.latitude, message.location.longitude
    try:
        city = conv.gazetteer.nearest(lat, lon)
    except UnknownPlace:
        await conv.reprompt(_("This location is outside the area svodka covers. Type the city instead."))
        return
    draft = await conv.draft()
    _set_place(draft, city.region, city.name_en, lat, lon)
    await conv.advance(draft)


def _set_place(draft: dict[str, Any], region: str, city: str, lat: float | None = None, lon: float | None = None) -> None:
    draft.update(region=region, city=city, lat=lat, lon=lon)


# -- 3. when ----------------------------------------------------------------------------------


@panel_button("when", ReportForm.when)
def chose_when(draft: dict[str, Any], value: str, conv: ReportConversation) -> bool:
    if value in ("today", "yesterday"):
        draft["day"] = value  # the exact time is typed next
    elif value in ("now", "1h", "3h"):
        draft["occurred_at"] = conv.occurred_at(value).isoformat()
    else:
        return False
    return True


@panel_button("when", ReportForm.when_time)
def back_to_when(draft: dict[str, Any], value: str, conv: ReportConversation) -> bool:
    draft.pop("day", None)
    return True


@router.message(ReportForm.when_time, F.text, F.func(is_answer))
async def typed_time(message: Message, conv: ReportConversation) -> None:
    at = parse_time(message.text or "")
    if at is None:
        await conv.reprompt(_("Please send the time as HH:MM, for example 14:30."))
        return
    draft = await conv.draft()
    instant = conv.at_local_time(draft, at)
    if instant is None:
        await conv.reprompt(_("That time has not come yet today. Send an earlier time."))
        return
    draft["occurred_at"] = instant.isoformat()
    draft.pop("day", None)
    await conv.advance(draft)


# -- 4. how many ------------------------------------------------------------------------------


@panel_button("count", ReportForm.count)
def chose_count(draft: dict[str, Any], value: str, conv: ReportConversation) -> bool:
    if not value.isdigit() or not MIN_DETAINED <= int(value) <= MAX_DETAINED:
        return False
    draft["detained"] = int(value)
    return True


@router.message(ReportForm.count, F.text, F.func(is_answer))
async def typed_count(message: Message, conv: ReportConversation) -> None:
    text = (message.text or "").strip()
    if not text.isdecimal() or len(text) > 6:
        await conv.reprompt(_("Please send the number of people as digits, for example 3."))
        return
    count = int(text)
    if not MIN_DETAINED <= count <= MAX_DETAINED:
        await conv.reprompt(
            _("The number must be from {low} to {high}.").format(low=MIN_DETAINED, high=MAX_DETAINED)
        )
        return
    draft = await conv.draft()
    draft["detained"] = count
    await conv.advance(draft)


# -- 5. description ------------------------------------------------------------------------------


@router.message(ReportForm.description, F.text, F.func(is_answer))
async def typed_description(message: Message, conv: ReportConversation) -> None:
    text = (message.text or "").strip()
    if len(text) > MAX_DESCRIPTION:
        await conv.reprompt(
            _("That is {length} characters; the limit is {limit}. Please shorten it, or skip.").format(
                length=len(text), limit=MAX_DESCRIPTION
            )
        )
        return
    draft = await conv.draft()
    draft["description"] = text or None
    await conv.advance(draft)


@panel_button("skip", ReportForm.description)
def skipped_description(draft: dict[str, Any], value: str, conv: ReportConversation) -> bool:
    draft["description"] = None
    return True


# -- 6. summary: edit or confirm ---------------------------------------------------------------------


@panel_button("edit", ReportForm.summary)
def edit(draft: dict[str, Any], value: str, conv: ReportConversation) -> bool:
    if value not in FORGET_FOR_EDIT:
        return False
    for key in FORGET_FOR_EDIT[value]:
        draft.pop(key, None)  # next_step then asks exactly this question again
    return True


async def confirm(
    tap: Tap,
    draft: dict[str, Any],
    conv: ReportConversation,
    reporter: str,
    svodka: Svodka,
    prefs: Preferences,
    help_texts: dict[str, str],
) -> None:
    try:
        # The domain is synchronous; a slow database must not freeze every other reporter.
        submission = await asyncio.to_thread(svodka.submit, to_new_report(draft, reporter))
    except IdempotencyConflict:
        await tap.answer()
        await conv.finish(draft, _("This report was already sent."))
        return
    except DomainError as error:
        await tap.answer()
        await _refused(draft, error, conv)
        return
    except Exception as error:  # the store is down or slow: keep the draft so nothing is lost
        log.error("report not stored", extra={"error": type(error).__name__})
        await tap.answer()
        await conv.ask(
            ReportForm.summary,
            draft,
            warning=_("Could not send it just now. Your answers are kept: press Confirm again in a minute."),
        )
        return
    await tap.answer(_("Sent"))
    if draft.get("city"):
        await prefs.update(reporter, last_city=draft["city"])
    where = in_reporters_language(help_texts) if draft["kind"] == "detention" else ""
    if not conv.keep_summary:
        # No reference either: with the public checkpoint list it would point to the place.
        await conv.finish(draft, with_help(sent_text(), where), receipt={"receipt": draft["tag"]})
        return
    ref = submission.id.hex[:8].upper()
    text = conv.kept_summary(draft, receipt_text(ref))
    await conv.finish(draft, with_help(text, where), receipt={"receipt": draft["tag"], "ref": ref})


def with_help(text: str, where: str) -> str:
    """Right after a detention report, where to get help (SVODKA_HELP_TEXT_RU/_EN), if set."""
    return f"{text}\n\n{where}" if where else text


async def _refused(draft: dict[str, Any], error: DomainError, conv: ReportConversation) -> None:
    """Send the reporter back to the answer the domain refused, in their language."""
    if error.field == "occurred_at":
        step, warning = "when", _("That time cannot be used. Please choose the time again.")
    elif error.field == "detained":
        step, warning = "count", _("Please check the number of people.")
    elif error.field in ("city", "location", "region"):
        step, warning = "place", _("Please give the place again.")
    elif error.field == "description":
        step, warning = "description", _("Please shorten the description.")
    else:
        step, warning = "", _("The report could not be accepted. Please check it.")
    for key in FORGET_FOR_EDIT.get(step, ()):
        draft.pop(key, None)
    await conv.advance(draft, warning=warning)


# -- anything else while a report is open: a polite reprompt, never an exception -----------------------


def _expect(state: State | ReportForm, warning: Callable[[], str]) -> None:
    async def reprompt(message: Message, conv: ReportConversation) -> None:
        await conv.reprompt(warning())

    router.message(state, F.func(is_answer))(reprompt)


# Registered after the handlers above, so these catch only what those did not take.
_expect(ReportForm.place, lambda: _("Please type the city, or send your location."))
_expect(ReportForm.count, lambda: _("Please send the number of people as digits, for example 3."))
_expect(ReportForm.when_time, lambda: _("Please send the time as HH:MM, for example 14:30."))
_expect(ReportForm.description, lambda: _("Please send the description as text, or skip."))
_expect(ReportForm(), lambda: _("Please use the buttons on the message above."))


router.callback_query(ReportStep.filter(), ReportForm())(on_panel)


@router.callback_query(ReportStep.filter())
async def stale(cb: CallbackQuery, callback_data: ReportStep, conv: ReportConversation, tap: Tap) -> None:
    """No report open: a second tap on a Confirm that went through gets its receipt again."""
    kept = await conv.draft() if callback_data.act == "confirm" else {}
    if kept.get("receipt") == callback_data.tag:
        await tap.answer(receipt_text(kept["ref"]) if "ref" in kept else sent_text(), alert=True)
    else:
        await tap.answer(stale_text(), alert=True)
