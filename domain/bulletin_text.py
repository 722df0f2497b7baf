"""A bulletin's words, in Russian or English, from its recorded figures alone (channel, API, preview)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from domain.errors import UnknownPlace
from domain.places import Gazetteer

LANGUAGES = ("ru", "en")
MONTHS_RU = ("января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа", "сентября",
             "октября", "ноября", "декабря")  # fmt: skip

WORDS = {
    "ru": {
        "title": "Сводка на {time}, {date}",
        "late": "(публикуется с опозданием)",
        "day": "Задержания за день: {total} (подтверждено {verified}, не подтверждено {unverified})",
        "change": "С прошлой сводки: {total} (подтверждено {verified}, не подтверждено {unverified})",
        "first": "Первая сводка за этот день.",
        "cities": "По городам:",
        "others": "Другие",
        "none": "Сообщений о задержаниях за день нет.",
        "checkpoints": "Активные посты: {list}",
        "no_checkpoints": "Активных постов нет.",
        "as_of": "Данные на позицию журнала {position} ({at}).",
        "dashboard": "Дашборд: {url}",
    },
    "en": {
        "title": "Bulletin for {time}, {date}",
        "late": "(published late)",
        "day": "Detentions today: {total} ({verified} verified, {unverified} unverified)",
        "change": "Since the last bulletin: {total} ({verified} verified, {unverified} unverified)",
        "first": "The first bulletin of the day.",
        "cities": "By city:",
        "others": "Others",
        "none": "No detentions reported today.",
        "checkpoints": "Active checkpoints: {list}",
        "no_checkpoints": "No active checkpoints.",
        "as_of": "As of log position {position} ({at}).",
        "dashboard": "Dashboard: {url}",
    },
}


def render(
    figures: dict[str, Any],
    *,
    slot: datetime,
    late: bool,
    as_of_position: int,
    as_of_recorded_at: datetime | None,
    lang: str,
    gazetteer: Gazetteer,
) -> str:
    words = WORDS[lang]
    tz = ZoneInfo(figures["zone"])
    local = slot.astimezone(tz)
    lines = [words["title"].format(time=f"{local:%H:%M} {local.tzname()}", date=_date(local, lang))]
    if late:
        lines.append(words["late"])
    day = figures["detentions"]
    lines.append(words["day"].format(total=_sum(day), **day))
    change = figures.get("change")
    if change is None:
        lines.append(words["first"])
    else:
        lines.append(
            words["change"].format(
                total=_signed(_sum(change)), verified=_signed(change["verified"]),
                unverified=_signed(change["unverified"]),
            )
        )
    if figures["cities"] or _sum(figures["others"]):
        lines.append(words["cities"])
        for city in figures["cities"]:
            lines.append(f"  {_city(gazetteer, city['city'], lang)}: {_split(city)}")
        if _sum(figures["others"]):
            lines.append(f"  {words['others']}: {_split(figures['others'])}")
    else:
        lines.append(words["none"])
    active = figures["checkpoints"]
    if active:
        listed = ", ".join(f"{_region(gazetteer, c['region'], lang)} {c['active']}" for c in active)
        lines.append(words["checkpoints"].format(list=listed))
    else:
        lines.append(words["no_checkpoints"])
    at = as_of_recorded_at.astimezone(tz) if as_of_recorded_at else None
    lines.append(words["as_of"].format(position=as_of_position, at=f"{at:%Y-%m-%d %H:%M} {at.tzname()}" if at else "—"))
    if figures.get("dashboard"):
        lines.append(words["dashboard"].format(url=figures["dashboard"]))
    return "\n".join(lines)


def _sum(counts: dict[str, int]) -> int:
    return counts["verified"] + counts["unverified"]


def _split(counts: dict[str, int]) -> str:
    return f"{_sum(counts)} ({counts['verified']} / {counts['unverified']})"


def _signed(value: int) -> str:
    return f"+{value}" if value > 0 else str(value)


def _date(local: datetime, lang: str) -> str:
    if lang == "ru":
        return f"{local.day} {MONTHS_RU[local.month - 1]} {local.year}"
    return f"{local.day} {local:%B %Y}"


def _city(gazetteer: Gazetteer, name_en: str, lang: str) -> str:
    try:
        city = gazetteer.city_by_name_en(name_en)
    except UnknownPlace:
        return name_en
    return city.name_ru if lang == "ru" else city.name_en


def _region(gazetteer: Gazetteer, code: str, lang: str) -> str:
    try:
        return gazetteer.name(code, lang)
    except UnknownPlace:
        return code
