"""The guided report as a draft kept in the conversation state, and the panel that shows it.

The draft is a plain dict (it lives in MemoryStorage or Redis); `next_step` reads what is
missing from it, so editing one answer from the summary asks only that question again.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from uuid import uuid4

from aiogram import Bot
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from aiogram.utils.i18n import get_i18n
from aiogram.utils.i18n import gettext as _

from bot import views
from bot.panel import erase, show, show_when
from bot.states import ReportForm
from domain.application import NewReport
from domain.model import CLOCK_SKEW
from domain.places import City, Gazetteer

_HHMM = re.compile(r"^\s*(\d{1,2})\s*[:.\-hч]\s*(\d{2})\s*$")


def new_draft() -> dict[str, Any]:
    # The draft id is the report's client reference: a double-tapped or redelivered
    # Confirm maps to the same report id, so it can never count twice.
    draft_id = uuid4().hex
    return {"draft": draft_id, "tag": draft_id[:8]}


def next_step(draft: dict[str, Any]) -> State:
    if "kind" not in draft:
        return ReportForm.kind
    if "region" not in draft:
        return ReportForm.place
    if "occurred_at" not in draft:
        return ReportForm.when_time if "day" in draft else ReportForm.when
    if draft["kind"] == "detention" and "detained" not in draft:
        return ReportForm.count
    if "description" not in draft:
        return ReportForm.description
    return ReportForm.summary


FORGET_FOR_EDIT = {
    "kind": ("kind",),
    "place": ("region", "city", "lat", "lon"),
    "when": ("occurred_at", "day"),
    "count": ("detained",),
    "description": ("description",),
}


def parse_time(text: str) -> time | None:
    found = _HHMM.match(text)
    if not found:
        return None
    hour, minute = int(found[1]), int(found[2])
    return time(hour, minute) if hour < 24 and minute < 60 else None


def to_new_report(draft: dict[str, Any], reporter: str) -> NewReport:
    shared_point = draft.get("lat") is not None
    return NewReport(
        kind=draft["kind"],
        channel="telegram",
        client_ref=draft["draft"],
        occurred_at=datetime.fromisoformat(draft["occurred_at"]),
        reporter=reporter,
        city=None if shared_point else draft.get("city"),
        lat=draft.get("lat"),
        lon=draft.get("lon"),
        detained=draft.get("detained") if draft["kind"] == "detention" else None,
        description=draft.get("description"),
    )


def noticed(draft: dict[str, Any], warning: str | None) -> str | None:
    """The same warning twice in a row is numbered, so the panel visibly changes and the
    reporter sees that their message was read (Telegram refuses an edit that changes nothing)."""
    if warning is None:
        draft.pop("warned", None)
        return None
    digest = zlib.crc32(warning.encode())  # not the text: it may quote what the reporter typed
    last, times = draft.get("warned") or (None, 0)
    times = times + 1 if last == digest else 1
    draft["warned"] = [digest, times]
    return warning if times == 1 else f"{warning} ({times}×)"


def is_report(raw_state: str | None) -> bool:
    return raw_state is not None and raw_state.startswith(f"{ReportForm.__full_group_name__}:")


def on_the_phone(draft: dict[str, Any]) -> list[int]:
    """The chat messages a report leaves: the reporter's own answers, and its panel."""
    panel = draft.get("panel")
    return [*draft.get("own", ()), *([panel] if panel is not None else [])]


async def clear_away(bot: Bot, chat_id: int, draft: dict[str, Any], text: str, *, wipe: bool) -> None:
    """End a report's panel with `text`. With `wipe`, the reporter's own answers and the panel are
    deleted first and `text` comes as a new message: a phone searched at a detention then shows
    nothing of the report. If Telegram keeps the messages, the panel is overwritten instead."""
    panel = draft.get("panel")
    if wipe and await erase(bot, chat_id, on_the_phone(draft)):
        panel = None
    await show(bot, chat_id, panel, text, None)


async def close_report(
    bot: Bot, chat_id: int, state: FSMContext, raw_state: str | None, text: str, *, wipe: bool
) -> None:
    """Another command takes the chat over an open report: it ends visibly, and (with `wipe`)
    leaves the phone as Cancel does."""
    if not is_report(raw_state):
        return
    draft = await state.get_data()
    if draft.get("panel") is not None:
        await clear_away(bot, chat_id, draft, text, wipe=wipe)


@dataclass
class ReportConversation:
    """One reporter's report in progress: its draft, its panel, and how to show the next question."""

    bot: Bot
    chat_id: int
    state: FSMContext
    gazetteer: Gazetteer
    clock: Callable[[], datetime]
    last_city: str | None = None
    # Set with /settings: keep the reporter's answers and a summary on the phone after a report.
    keep_summary: bool = False
    # The state as aiogram read it for this update, kept up to date here, so asking the next
    # question does not read it again (with Redis, each read is a round trip).
    raw_state: str | None = None
    _draft: dict[str, Any] | None = None  # read once per update

    async def draft(self) -> dict[str, Any]:
        if self._draft is None:
            self._draft = await self.state.get_data()
        return self._draft

    async def own(self, message_id: int) -> None:
        """Note a message the reporter sent for this report, so it can be deleted when the report ends."""
        (await self.draft()).setdefault("own", []).append(message_id)

    async def written_before_asked(self, sent_at: int) -> bool:
        """Whether a message was sent before the panel showed the question now open: then it
        answered an earlier one (retyped while Telegram made the bot wait) and must not be filed
        under this one. Both times are Telegram's, in whole seconds: the same second is not "before"."""
        asked_at = (await self.draft()).get("asked_at")
        return asked_at is not None and sent_at < asked_at

    async def start(self, command: int | None = None) -> None:
        """`command`: the /report message itself, deleted with the answers."""
        await self.close(_("This report was replaced by a new one. Nothing was sent."))
        draft = new_draft()
        if command is not None:
            draft["own"] = [command]
        draft["panel"], draft["asked_at"] = await show_when(self.bot, self.chat_id, None, *views.kind_panel(draft))
        await self.keep(ReportForm.kind, draft)

    async def close(self, text: str) -> None:
        """An open report's panel says it is over, so its buttons are not left asking; by default
        it goes instead, with the answers given to it."""
        if not is_report(self.raw_state):
            return
        draft = await self.draft()
        panel = draft.get("panel")
        if not self.keep_summary and await erase(self.bot, self.chat_id, on_the_phone(draft)):
            return
        if panel is not None:
            await show(self.bot, self.chat_id, panel, text, None)

    async def advance(self, draft: dict[str, Any], *, warning: str | None = None) -> None:
        """Ask whatever the draft still lacks, or show the summary."""
        await self.ask(next_step(draft), draft, warning=warning)

    async def ask(
        self, step: State, draft: dict[str, Any], *, warning: str | None = None, suggestions: Sequence[City] = ()
    ) -> None:
        text, markup = self.render(step, draft, noticed(draft, warning), list(suggestions))
        # The step is kept only once the reporter can see its question: if Telegram cannot show
        # it, the panel still asks the previous one, and the state still expects that answer.
        draft["panel"], shown_at = await show_when(self.bot, self.chat_id, draft.get("panel"), text, markup)
        if shown_at is not None:  # None: the panel already showed exactly this
            draft["asked_at"] = shown_at
        await self.keep(step, draft)

    async def keep(self, step: State, draft: dict[str, Any]) -> None:
        self._draft = draft
        if self.raw_state != step.state:
            await self.state.set_state(step)
            self.raw_state = step.state
        await self.state.set_data(draft)

    async def reprompt(self, warning: str, *, suggestions: Sequence[City] = ()) -> None:
        draft = await self.draft()
        await self.ask(next_step(draft), draft, warning=warning, suggestions=suggestions)

    async def finish(self, draft: dict[str, Any], text: str, *, receipt: dict[str, str] | None = None) -> None:
        """The panel's last word, with the reporter's answers deleted unless they chose to keep
        them; a receipt stays, so a second tap on Confirm can repeat it."""
        await clear_away(self.bot, self.chat_id, draft, text, wipe=not self.keep_summary)
        await self.state.set_state(None)
        self.raw_state = None
        self._draft = receipt or {}
        await self.state.set_data(self._draft)

    # -- what each step shows ---------------------------------------------------------

    def render(self, step: State, draft: dict[str, Any], warning: str | None, suggestions: list[City]):
        if step == ReportForm.kind:
            return views.kind_panel(draft, warning)
        if step == ReportForm.place:
            return views.place_panel(
                draft, self.gazetteer, last_city=self.last_city, suggestions=suggestions, warning=warning
            )
        if step == ReportForm.when:
            return views.when_panel(draft, self.place_text(draft), warning)
        if step == ReportForm.when_time:
            return views.when_time_panel(draft, self.place_text(draft), warning)
        if step == ReportForm.count:
            return views.count_panel(draft, warning)
        if step == ReportForm.description:
            return views.description_panel(draft, warning)
        when = views.when_text(datetime.fromisoformat(draft["occurred_at"]), self.local_now(draft))
        return views.summary_panel(draft, self.place_text(draft), when, warning)

    def kept_summary(self, draft: dict[str, Any], receipt: str) -> str:
        when = views.when_text(datetime.fromisoformat(draft["occurred_at"]), self.local_now(draft))
        return views.kept_summary(draft, self.place_text(draft), when, receipt)

    def place_text(self, draft: dict[str, Any]) -> str:
        if draft.get("city"):
            name = views.city_name(self.gazetteer.city_by_name_en(draft["city"]))
        else:
            name = self.gazetteer.name(draft["region"], "ru" if get_i18n().current_locale == "ru" else "en")
        return _("📍 near {place}").format(place=name) if draft.get("lat") is not None else name

    def local_now(self, draft: dict[str, Any]) -> datetime:
        return self.clock().astimezone(self.gazetteer.region(draft["region"]).tz())

    def occurred_at(self, choice: str) -> datetime:
        back = {"now": timedelta(0), "1h": timedelta(hours=1), "3h": timedelta(hours=3)}[choice]
        return self.clock() - back

    def at_local_time(self, draft: dict[str, Any], at: time) -> datetime | None:
        """The instant of HH:MM today or yesterday in the place's zone; None if it is still to come."""
        local_now = self.local_now(draft)
        day = local_now.date() - timedelta(days=1 if draft.get("day") == "yesterday" else 0)
        instant = datetime.combine(day, at, tzinfo=local_now.tzinfo)
        return None if instant > local_now + CLOCK_SKEW else instant
