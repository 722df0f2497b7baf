"""What the report panel says and which buttons it has, at each step. Texts live in the catalogs."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

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


# A keyboard is rendered straight to the JSON the Bot API takes (no aiogram objects to build and
# then take apart again), and the fixed ones once per language: only the draft's tag differs.
Keyboard = str
Row = list[tuple[str, str]]  # (label, callback data)
_TAG = "<tag>"  # stands for the draft's tag in a rendered keyboard
_rendered: dict[tuple[str, str], str] = {}


def _button(text: str, tag: str, act: str, val: str = "") -> tuple[str, str]:
    # ReportStep(tag=tag, act=act, val=val).pack(), without building a model per button
    # (tests/bot/test_report_flow.py holds the two equal).
    data = f"{ReportStep.__prefix__}:{tag}:{act}:{val}"
    if len(data.encode()) > 64:  # Telegram's limit, which pack() enforces too
        raise ValueError(f"callback data too long: {len(data.encode())} bytes")
    return text, data


def _cancel(tag: str) -> Row:
    return [_button(_("✖ Cancel"), tag, "cancel")]


def _markup(rows: list[Row]) -> Keyboard:
    keyboard = [[{"text": text, "callback_data": data} for text, data in row] for row in rows if row]
    return json.dumps({"inline_keyboard": keyboard}, ensure_ascii=False, separators=(",", ":"))


def _fixed(name: str, tag: str, rows: Callable[[str], list[Row]]) -> Keyboard:
    """A keyboard that differs between drafts only by their tag, rendered once per language."""
    key = (get_i18n().current_locale, name)
    rendered = _rendered.get(key)
    if rendered is None:
        rendered = _rendered[key] = _markup(rows(_TAG))
    return rendered.replace(_TAG, tag)


def _with_warning(text: str, warning: str | None) -> str:
    return f"⚠️ {warning}\n\n{text}" if warning else text


def kind_panel(draft: dict[str, Any], warning: str | None = None) -> tuple[str, Keyboard]:
    tag = draft["tag"]
    text = _("New report. What happened?")
    return _with_warning(text, warning), _fixed("kind", tag, _kind_rows)


def _kind_rows(tag: str) -> list[Row]:
    return [
        [_button(_("🚓 Detention"), tag, "kind", "detention"), _button(_("🚧 Checkpoint"), tag, "kind", "checkpoint")],
        _cancel(tag),
    ]


def place_panel(
    draft: dict[str, Any],
    gazetteer: Gazetteer,
    *,
    last_city: str | None = None,
    suggestions: list[City] = (),  # type: ignore[assignment]
    warning: str | None = None,
) -> tuple[str, Keyboard]:
    tag = draft["tag"]
    text = _(
        "Where did it happen? Type the city (in Russian or English), "
        "or send your location: 📎 → Location."
    )
    rows: list[Row] = [[_button(city_name(c), tag, "city", c.name_en)] for c in suggestions]
    if last_city and not suggestions:
        try:
            rows.append([_button(_("📍 {city} again").format(city=city_name(gazetteer.city_by_name_en(last_city))), tag, "city", last_city)])
        except Exception:  # a city dropped from the gazetteer is simply not offered
            pass
    rows.append(_cancel(tag))
    return _with_warning(text, warning), _markup(rows)


def when_panel(draft: dict[str, Any], place: str, warning: str | None = None) -> tuple[str, Keyboard]:
    tag = draft["tag"]
    text = _("When did it happen? Times are local to {place}.").format(place=place)
    return _with_warning(text, warning), _fixed("when", tag, _when_rows)


def _when_rows(tag: str) -> list[Row]:
    return [
        [_button(_("Now"), tag, "when", "now"), _button(_("1 hour ago"), tag, "when", "1h"), _button(_("3 hours ago"), tag, "when", "3h")],
        [_button(_("Earlier today…"), tag, "when", "today"), _button(_("Yesterday…"), tag, "when", "yesterday")],
        _cancel(tag),
    ]


def when_time_panel(draft: dict[str, Any], place: str, warning: str | None = None) -> tuple[str, Keyboard]:
    tag = draft["tag"]
    if draft.get("day") == "yesterday":
        text = _("At what time yesterday? Send it as HH:MM, local to {place} (for example 21:40).")
    else:
        text = _("At what time today? Send it as HH:MM, local to {place} (for example 14:30).")
    return _with_warning(text.format(place=place), warning), _fixed("when_time", tag, _when_time_rows)


def _when_time_rows(tag: str) -> list[Row]:
    return [[_button(_("◀ Back"), tag, "when", "back")], _cancel(tag)]


def count_panel(draft: dict[str, Any], warning: str | None = None) -> tuple[str, Keyboard]:
    tag = draft["tag"]
    text = _("How many people were detained? Tap a number or type it.")
    return _with_warning(text, warning), _fixed("count", tag, _count_rows)


def _count_rows(tag: str) -> list[Row]:
    return [[_button(str(n), tag, "count", str(n)) for n in COUNT_BUTTONS], _cancel(tag)]


def description_panel(draft: dict[str, Any], warning: str | None = None) -> tuple[str, Keyboard]:
    tag = draft["tag"]
    text = _(
        "Anything to add? Send a short description (up to {limit} characters), or skip. "
        "Please leave out names and phone numbers."
    ).format(limit=MAX_DESCRIPTION)
    return _with_warning(text, warning), _fixed("description", tag, _description_rows)


def _description_rows(tag: str) -> list[Row]:
    return [[_button(_("Skip"), tag, "skip")], _cancel(tag)]


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
) -> tuple[str, Keyboard]:
    tag = draft["tag"]
    lines = [_("Please check your report:"), "", *_facts(draft, place, when)]
    lines.append(_("Description: {text}").format(text=draft.get("description") or "—"))
    lines += ["", _("Nothing is sent until you press Confirm.")]
    return _with_warning("\n".join(lines), warning), _fixed(f"summary:{draft['kind']}", tag, _summary_rows(draft["kind"]))


def _facts(draft: dict[str, Any], place: str, when: str) -> list[str]:
    lines = [
        _("What: {kind}").format(kind=kind_name(draft["kind"])),
        _("Where: {place}").format(place=place),
        _("When: {when}").format(when=when),
    ]
    if draft["kind"] == "detention":
        lines.append(_("Detained: {count}").format(count=draft["detained"]))
    return lines


def kept_summary(draft: dict[str, Any], place: str, when: str, receipt: str) -> str:
    """What stays on the phone of a reporter who chose to keep summaries: the facts, never the
    description (it is not quoted back once sent)."""
    description = _("Description: sent, not shown here") if draft.get("description") else _("Description: {text}").format(text="—")
    return "\n".join([receipt, "", *_facts(draft, place, when), description])


def _summary_rows(kind: str) -> Callable[[str], list[Row]]:
    def rows(tag: str) -> list[Row]:
        edits = [
            _button(_("✏️ What"), tag, "edit", "kind"),
            _button(_("✏️ Where"), tag, "edit", "place"),
            _button(_("✏️ When"), tag, "edit", "when"),
        ]
        second = [_button(_("✏️ Description"), tag, "edit", "description")]
        if kind == "detention":
            second.insert(0, _button(_("✏️ Count"), tag, "edit", "count"))
        return [[_button(_("✅ Confirm"), tag, "confirm")], edits, second, _cancel(tag)]

    return rows
