"""The domain's refusals in the console page's language.

The domain says what rule was broken in English, as the JSON API shows it (domain/errors.py);
those messages stay as they are for API clients. A console page in Russian should not switch to
English when a moderator or operator hits a rule, so each refusal is said again here from its
`code` (the rule's name, which a rewording of the English leaves alone) and its `parts` (the
values it names), each part named in the page's language: a status in words, a region and a city
by the gazetteer's name. Every code the domain raises has words here in both languages
(tests/console/test_refusals.py reads the domain's raises for them): a new rule without words
fails that test instead of reading in English on a Russian page.
"""

from __future__ import annotations

from typing import Any

from api.console.i18n import WORDS, register
from domain.errors import DomainError
from domain.model import Kind, Status
from domain.places import City, Region


def _named(value: Any, lang: str, w: dict[str, str]) -> str:
    """One part of a refusal as the page says it."""
    if isinstance(value, Status):
        return w[f"status_{value.value}"]
    if isinstance(value, Kind):
        return w[f"dk_{value.value}"].lower()
    if isinstance(value, Region):
        return f"{value.name_ru if lang == 'ru' else value.name_en} ({value.code})"
    if isinstance(value, City):
        return value.name_ru if lang == "ru" else value.name_en
    if isinstance(value, bool) or value is None:
        return ""
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.0f}"
    return str(value)


def spoken(error: DomainError, lang: str) -> str:
    """`error` in `lang`: its code's words with its parts named in that language."""
    w = WORDS[lang]
    said = w.get(f"de_{error.code}")
    if said is None:  # a rule with no words yet: tests/console/test_refusals.py fails on it
        return error.message
    return said.format(**{name: _named(value, lang, w) for name, value in error.parts.items()})


register(
    ru={
        "de_time_offset": "У времени нет часового пояса.",
        "de_time_old": "Это время слишком давнее.",
        "de_time_future": "Время события не может быть в будущем.",
        "de_time_skipped": "{local} не было в поясе {zone}: в ту ночь часы переводили.",
        "de_count_checkpoint": "У отчёта о блокпосте нет числа задержанных; оставьте поле пустым.",
        "de_count_missing": "Для задержания укажите, сколько человек задержано.",
        "de_count_whole": "Число задержанных должно быть целым.",
        "de_count_range": "Число задержанных должно быть от {low} до {high}.",
        "de_description_long": "Описание длиннее {n} знаков.",
        "de_reason_missing": "Укажите причину.",
        "de_reason_long": "Причина длиннее {n} знаков.",
        "de_kind": "Вид должен быть «задержание» или «блокпост».",
        "de_no_place": "Укажите, где это случилось: регион, город или точку.",
        "de_region": "Неизвестный код региона «{value}»: нужен код ISO 3166-2, например RU-MOW или RU-SPE.",
        "de_city_hint": "Неизвестный город «{value}». Может быть, {hints}? Если его нет в списке, укажите регион.",
        "de_city": "Неизвестный город «{value}». Если его нет в списке, укажите регион.",
        "de_city_region": "{city} находится в регионе {there}, а не в регионе {given}.",
        "de_not_found": "Отчёта {id} нет.",
        "de_no_root": "Отчёта {id} нет; дубликатом чего отметить?",
        "de_retracted": "Отправитель отозвал этот отчёт; его больше нельзя менять.",
        "de_cannot_correct": "Отчёт со статусом «{status}» нельзя исправить; сначала верните его на проверку.",
        "de_cannot_verify": "Отчёт со статусом «{status}» нельзя подтвердить; сначала верните его на проверку.",
        "de_already_duplicate_of": "Этот отчёт уже отмечен дубликатом {id}.",
        "de_already": "У отчёта уже статус «{status}».",
        "de_has_duplicates": "Отчёты {ids} отмечены дубликатами этого; сначала верните их на проверку "
                             "или перенесите.",
        "de_self_duplicate": "Отчёт не может быть дубликатом самого себя.",
        "de_other_kind": "Отчёт {id} — {its}, а этот — {this}; дубликатами бывают только отчёты одного вида.",
        "de_root_not_counted": "У отчёта {id} статус «{status}»; дубликат должен указывать на отчёт, "
                               "который считается.",
        "de_cycle": "Отчёт {id} уже в группе этого отчёта; связь замкнула бы круг.",
        "de_far_apart": "Этот отчёт — {region}, {day}, а отчёт {id} — {root_region}, {root_day}; "
                        "чтобы связать такие далёкие отчёты, укажите причину.",
        "de_only_sender": "Отозвать отчёт может только тот, кто его отправил.",
        "de_reference_used": "Эта форма уже отправила другой отчёт; откройте форму заново.",
        "de_point_invalid": "Такой точки нет: широта должна быть в пределах ±90, долгота — в пределах ±180.",
        "de_point_far": "В пределах {km} км от этой точки нет известного города: она вне охваченной области.",
        "de_point_city_far": "Точка в {km} км от центра города {city}. Укажите город, где это случилось, "
                             "или только точку.",
        "de_alert_area": "Неизвестная область оповещений «{value}».",
        "de_vote_voter": "Голосу за блокпост нужен псевдоним голосующего.",
        "de_not_checkpoint": "Подтвердить или снять можно только блокпост.",
        "de_checkpoint_closed": "У этого блокпоста статус «{status}».",
        "de_checkpoint_gone": "Об этом блокпосте уже сообщили, что его нет.",
        "de_already_blocked": "Этот отправитель уже заблокирован.",
        "de_not_blocked": "Этот отправитель не заблокирован.",
        "de_already_forgotten": "Данные этого отправителя уже стёрты.",
        "de_changed": "Отчёт уже изменили (версия {version}, вы видели {seen}); откройте его заново и решите снова.",
        "de_changed_meanwhile": "Кто-то изменил этот отчёт в тот же момент; откройте его заново.",
        "de_reporter_changed_meanwhile": "Кто-то изменил данные этого отправителя в тот же момент; повторите.",
        "de_webhook_url": "Адрес вебхука должен начинаться с http:// или https://.",
        "de_webhook_topics": "Выберите одну или несколько тем: {topics}.",
        "de_webhook_removed": "Этот вебхук уже удалён.",
        "de_webhook_not_found": "Вебхука {id} нет.",
    },
    en={
        "de_time_offset": "The time has no time zone.",
        "de_time_old": "That time is too long ago.",
        "de_time_future": "The time it happened cannot be in the future.",
        "de_time_skipped": "{local} did not exist in {zone}: the clocks skipped it.",
        "de_count_checkpoint": "A checkpoint report has no count of people detained; leave it empty.",
        "de_count_missing": "For a detention, say how many people were detained.",
        "de_count_whole": "The number detained must be a whole number.",
        "de_count_range": "The number detained must be from {low} to {high}.",
        "de_description_long": "The description is longer than {n} characters.",
        "de_reason_missing": "Give a reason.",
        "de_reason_long": "The reason is longer than {n} characters.",
        "de_kind": "The kind must be detention or checkpoint.",
        "de_no_place": "Say where it happened: a region, a city or a point.",
        "de_region": "Unknown region code '{value}': use an ISO 3166-2 code such as RU-MOW or RU-SPE.",
        "de_city_hint": "Unknown city '{value}'. Did you mean {hints}? If it is not listed, give the region.",
        "de_city": "Unknown city '{value}'. If it is not listed, give the region.",
        "de_city_region": "{city} is in {there}, not in {given}.",
        "de_not_found": "There is no report {id}.",
        "de_no_root": "There is no report {id} to be a duplicate of.",
        "de_retracted": "Its reporter retracted this report; it cannot change any more.",
        "de_cannot_correct": "A report that is {status} cannot be corrected; reopen it first.",
        "de_cannot_verify": "A report that is {status} cannot be verified; reopen it first.",
        "de_already_duplicate_of": "This report is already a duplicate of {id}.",
        "de_already": "This report is already {status}.",
        "de_has_duplicates": "Reports {ids} are marked as duplicates of this one; reopen or re-point them first.",
        "de_self_duplicate": "A report cannot be a duplicate of itself.",
        "de_other_kind": "Report {id} is a {its} and this one a {this}; only reports of one kind can be duplicates.",
        "de_root_not_counted": "Report {id} is {status}; a duplicate must point at a report that counts.",
        "de_cycle": "Report {id} is already in this report's group; linking them would make a cycle.",
        "de_far_apart": "This report is from {region} on {day}, report {id} from {root_region} on {root_day}; "
                        "give a reason to link reports so far apart.",
        "de_only_sender": "Only whoever sent a report can retract it.",
        "de_reference_used": "This form already sent a different report; open the form again.",
        "de_point_invalid": "No such point: latitude must be within ±90 and longitude within ±180.",
        "de_point_far": "No known city within {km} km of this point; it is outside the area covered.",
        "de_point_city_far": "The point is {km} km from the centre of {city}. Give the city where it happened, "
                             "or the point alone.",
        "de_alert_area": "Unknown alert area '{value}'.",
        "de_vote_voter": "A vote on a checkpoint needs the voter's pseudonym.",
        "de_not_checkpoint": "Only a checkpoint can be confirmed or cleared.",
        "de_checkpoint_closed": "This checkpoint report is {status}.",
        "de_checkpoint_gone": "This checkpoint was already reported gone.",
        "de_already_blocked": "This reporter is already blocked.",
        "de_not_blocked": "This reporter is not blocked.",
        "de_already_forgotten": "This reporter's data is already erased.",
        "de_changed": "The report changed (version {version}, you saw {seen}); open it again and decide again.",
        "de_changed_meanwhile": "Someone else changed this report at the same moment; open it again.",
        "de_reporter_changed_meanwhile": "Someone else changed this reporter at the same moment; retry.",
        "de_webhook_url": "The webhook URL must start with http:// or https://.",
        "de_webhook_topics": "Choose one or more topics: {topics}.",
        "de_webhook_removed": "This webhook is already removed.",
        "de_webhook_not_found": "There is no webhook {id}.",
    },
)
