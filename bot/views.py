"""What the report panel says and which buttons it has, at each step. Texts live in the catalogs."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import get_i18n
from aiogram.utils.i18n import gettext as _

from bot.callbacks import ReportStep
from domain.places import City, Gazetteer

MAX_DESCRIPTION = 500
COUNT_BUTTONS = (1, 2, 3, 5, 10, 20)


def city_name(city: City) -> str:
    return city.name_ru if get_i18n().current_locale == "ru" else city.name_en


def kind_name(kind: str) -> str:
    return _("Detention") if kind == "detention" else _("Checkpoint")


def _button(text: str, tag: str, act: str, val: str = "") -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=ReportStep(tag=tag, act=act, val=val).pack())


def _cancel(tag: str) -> list[InlineKeyboardButton]:
    return [_button(_("✖ Cancel"), tag, "cancel")]


def _markup(rows: list[list[InlineKeyboardButton]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[row for row in rows if row])


def _with_warning(text: str, warning: str | None) -> str:
    return f"⚠️ {warning}\n\n{text}" if warning else text


def kind_panel(draft: dict[str, Any], warning: str | None = None) -> tuple[str, InlineKeyboardMarkup]:
    tag = draft["tag"]
    text = _("New report. What happened?")
    rows = [
        [_button(_("🚓 Detention"), tag, "kind", "detention"), _button(_("🚧 Checkpoint"), tag, "kind", "checkpoint")],
        _cancel(tag),
    ]
    return _with_warning(text, warning), _markup(rows)


def place_panel(
    draft: dict[str, Any],
    gazetteer: Gazetteer,
    *,
    last_city: str | None = None,
    suggestions: list[City] = (),  # type: ignore[assignment]
    warning: str | None = None,
) -> tuple[str, InlineKeyboardMarkup]:
    tag = draft["tag"]
    text = _(
        "Where did it happen? Type the city (in Russian or English), "
        "or send your location: 📎 → Location."
    )
    rows = [[_button(city_name(c), tag, "city", c.name_en)] for c in suggestions]
    if last_city and not suggestions:
        try:
            rows.append([_button(_("📍 {city} again").format(city=city_name(gazetteer.city_by_name_en(last_city))), tag, "city", last_city)])
        except Exception:  # a city dropped from the gazetteer is simply not offered
            pass
    rows.append(_cancel(tag))
    return _with_warning(text, warning), _markup(rows)


def when_panel(draft: dict[str, Any], place: str, warning: str | None = None) -> tuple[str, InlineKeyboardMarkup]:
    tag = draft["tag"]
    text = _("When did it happen? Times are local to {place}.").format(place=place)
    rows = [
        [_button(_("Now"), tag, "when", "now"), _button(_("1 hour ago"), tag, "when", "1h"), _button(_("3 hours ago"), tag, "when", "3h")],
        [_button(_("Earlier today…"), tag, "when", "today"), _button(_("Yesterday…"), tag, "when", "yesterday")],
        _cancel(tag),
    ]
    return _with_warning(text, warning), _markup(rows)


def when_time_panel(draft: dict[str, Any], place: str, warning: str | None = None) -> tuple[str, InlineKeyboardMarkup]:
    tag = draft["tag"]
    if draft.get("day") == "yesterday":
        text = _("At what time yesterday? Send it as HH:MM, local to {place} (for example 21:40).")
    else:
        text = _("At what time today? Send it as HH:MM, local to {place} (for example 14:30).")
    rows = [[_button(_("◀ Back"), tag, "when", "back")], _cancel(tag)]
    return _with_warning(text.format(place=place), warning), _markup(rows)


def count_panel(draft: dict[str, Any], warning: str | None = None) -> tuple[str, InlineKeyboardMarkup]:
    tag = draft["tag"]
    text = _("How many people were detained? Tap a number or type it.")
    rows = [[_button(str(n), tag, "count", str(n)) for n in COUNT_BUTTONS], _cancel(tag)]
    return _with_warning(text, warning), _markup(rows)


def description_panel(draft: dict[str, Any], warning: str | None = None) -> tuple[str, InlineKeyboardMarkup]:
    tag = draft["tag"]
    text = _(
        "Anything to add? Send a short description (up to {limit} characters), or skip. "
        "Please leave out names and phone numbers."
    ).format(limit=MAX_DESCRIPTION)
    rows = [[_button(_("Skip"), tag, "skip")], _cancel(tag)]
    return _with_warning(text, warning), _markup(rows)


def when_text(occurred_at: datetime, local_now: datetime) -> str:
    local = occurred_at.astimezone(local_now.tzinfo)
    hhmm = local.strftime("%H:%M")
    if local.date() == local_now.date():
        return _("today, {time}").format(time=hhmm)
    if local.date() == local_now.date() - timedelta(days=1):
        return _("yesterday, {time}").format(time=hhmm)
    return local.strftime("%Y-%m-%d %H:%M")


def summary_panel(
    draft: dict[str, Any], place: str, when: str, warning: str | None = None
) -> tuple[str, InlineKeyboardMarkup]:
    tag = draft["tag"]
    lines = [
        _("Please check your report:"),
        "",
        _("What: {kind}").format(kind=kind_name(draft["kind"])),
        _("Where: {place}").format(place=place),
        _("When: {when}").format(when=when),
    ]
    if draft["kind"] == "detention":
        lines.append(_("Detained: {count}").format(count=draft["detained"]))
    lines.append(_("Description: {text}").format(text=draft.get("description") or "—"))
    lines += ["", _("Nothing is sent until you press Confirm.")]
    edits = [
        _button(_("✏️ What"), tag, "edit", "kind"),
        _button(_("✏️ Where"), tag, "edit", "place"),
        _button(_("✏️ When"), tag, "edit", "when"),
    ]
    second = [_button(_("✏️ Description"), tag, "edit", "description")]
    if draft["kind"] == "detention":
        second.insert(0, _button(_("✏️ Count"), tag, "edit", "count"))
    rows = [[_button(_("✅ Confirm"), tag, "confirm")], edits, second, _cancel(tag)]
    return _with_warning("\n".join(lines), warning), _markup(rows)
