"""The domain's refusals in the console page's language.

The domain says what rule was broken in English, as the JSON API shows it (domain/errors.py);
those messages stay as they are for API clients. A console page in Russian should not switch to
English when a moderator or operator hits a rule, so each message the console can meet is
recognised here by its shape (with the parts it names: a value, a status, a report id) and said
again in the page's words. A message not listed here is shown as the domain wrote it: a new rule
reads in English until it gets its words, it never reads wrong.
"""

from __future__ import annotations

import re

from api.console.i18n import WORDS, register
from domain.errors import DomainError

UUID_RE = r"[0-9a-f-]{36}"
STATUS = r"(?P<status>unreviewed|verified|rejected|duplicate|retracted)"
# (the words' key, the English message as the domain writes it). Fullmatched, in order.
SHAPES: tuple[tuple[str, re.Pattern[str]], ...] = tuple((key, re.compile(shape)) for key, shape in (
    # domain/model.py: the time it happened, the count, the texts
    ("de_time_offset", r"The time must include a UTC offset\."),
    ("de_time_old", r"The time it happened is too long ago\."),
    ("de_time_future", r"The time it happened cannot be in the future\."),
    ("de_time_skipped", r"(?P<local>.+) did not exist in (?P<zone>\S+): the clocks skipped it\."),
    ("de_count_checkpoint", r"A checkpoint report has no detained count\."),
    ("de_count_missing", r"A detention report needs the number of people detained\."),
    ("de_count_whole", r"The detained count must be a whole number\."),
    ("de_count_range", r"The detained count must be from (?P<low>[\d,]+) to (?P<high>[\d,]+)\."),
    ("de_description_long", r"The description is longer than (?P<n>[\d,]+) characters\."),
    ("de_reason_missing", r"A reason is required\."),
    ("de_reason_long", r"The reason is longer than (?P<n>[\d,]+) characters\."),
    ("de_kind", r"The kind must be 'detention' or 'checkpoint'\."),
    # domain/places.py: where it happened
    ("de_no_place", r"Say where it happened: a region, a city or a point\."),
    ("de_region", r"Unknown region code '(?P<value>.*)': use an ISO 3166-2 code such as RU-MOW or RU-SPE\."),
    ("de_city_hint", r"Unknown city '(?P<value>.*)'\. Did you mean (?P<hints>.+)\? If it is not listed, give the "
                     r"region \(e\.g\. RU-MOS\) or a point instead\."),
    ("de_city", r"Unknown city '(?P<value>.*)'\. If it is not listed, give the region \(e\.g\. RU-MOS\) or a point "
                r"instead\."),
    ("de_city_region", r"(?P<city>.+) is in (?P<there>.+ \([A-Z]{2}-[A-Z0-9]+\)), not in (?P<given>.+ \([A-Z]{2}-"
                       r"[A-Z0-9]+\))\."),
    # domain/report.py and domain/application.py: decisions
    ("de_not_found", rf"There is no report (?P<id>{UUID_RE})\."),
    ("de_no_root", rf"There is no report (?P<id>{UUID_RE}) to be a duplicate of\."),
    ("de_retracted", r"This report was retracted by its reporter and cannot change\."),
    ("de_cannot_correct", rf"A {STATUS} report cannot be corrected\."),
    ("de_cannot_verify", rf"A {STATUS} report cannot be verified\."),
    ("de_already_duplicate_of", rf"This report is already a duplicate of (?P<id>{UUID_RE})\."),
    ("de_already", rf"This report is already {STATUS}\."),
    ("de_has_duplicates", r"Reports (?P<ids>.+) are marked as duplicates of this one; reopen or re-point them "
                          r"first\."),
    ("de_self_duplicate", r"A report cannot be a duplicate of itself\."),
    ("de_other_kind", rf"Report (?P<id>{UUID_RE}) is a (?P<its>detention|checkpoint) report and this one a "
                      r"(?P<this>detention|checkpoint); only reports of the same kind can be duplicates\."),
    ("de_root_not_counted", rf"Report (?P<id>{UUID_RE}) is {STATUS}; a duplicate must point at a report that "
                            r"counts\."),
    ("de_cycle", rf"Report (?P<id>{UUID_RE}) is already in this report's group; linking them would make a "
                 r"cycle\."),
    ("de_far_apart", rf"This report is from (?P<region>\S+) on (?P<day>\S+), report (?P<id>{UUID_RE}) from "
                     r"(?P<root_region>\S+) on (?P<root_day>\S+); give a reason to link reports so far apart\."),
    ("de_only_sender", r"Only (?:whoever sent a report|the person who sent a report) can retract it\."),
    ("de_reference_used", r"This reference was already used for a different report; use a new one\."),
))


def spoken(error: DomainError | str, lang: str) -> str:
    """`error`'s message in `lang`, or as the domain wrote it when it has no words here."""
    message = error.message if isinstance(error, DomainError) else error
    w = WORDS[lang]
    for key, shape in SHAPES:
        if found := shape.fullmatch(message):
            parts = found.groupdict()
            if "status" in parts:
                parts["status"] = w[f"status_{parts['status']}"]
            for kind in ("its", "this"):
                if kind in parts:
                    parts[kind] = w[f"dk_{parts[kind]}"].lower()
            return w[key].format(**parts)
    return message


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
        "de_city_region": "{city} находится в регионе {there}, а не {given}.",
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
        "de_far_apart": "Этот отчёт из {region} за {day}, а отчёт {id} — из {root_region} за {root_day}; "
                        "чтобы связать такие далёкие отчёты, укажите причину.",
        "de_only_sender": "Отозвать отчёт может только тот, кто его отправил.",
        "de_reference_used": "Эта форма уже отправила другой отчёт; откройте форму заново.",
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
    },
)
