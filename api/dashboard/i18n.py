"""The page's two languages: which one a request gets, its words, and how numbers and times read."""

from __future__ import annotations

from datetime import date, datetime, tzinfo
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal

LANGS = ("ru", "en")
# Most readers are in Russia; a browser that states no usable preference gets Russian.
DEFAULT_LANG = "ru"
# Headline times are in Moscow time: one clock for a country-wide bulletin, named on the page.
MOSCOW = ZoneInfo("Europe/Moscow")

WORDS: dict[str, dict[str, str]] = {
    "ru": {
        "title": "Сводка: задержания и полицейские посты",
        "tagline": "Сообщения граждан о задержаниях и полицейских постах в России",
        "nav_label": "Язык",
        "other_lang_name": "English",
        "headline": "Задержания за период",
        "period": "с {start} по {end}",
        "verified": "Проверено",
        "unverified": "Не проверено",
        "reports": "Сообщений",
        # Column headings with soft hyphens: on a phone four Russian columns fit only if these may break.
        "th_verified": "Прове\u00adрено",
        "th_unverified": "Не прове\u00adрено",
        "th_reports": "Сооб\u00adщений",
        "rule": "Считаются задержания, а не уникальные люди.",
        "as_of": "Данные на {time} (позиция журнала событий {position})",
        "as_of_empty": "Событий пока нет (позиция журнала 0)",
        "as_of_past": "Показаны данные, известные на {time}.",
        "as_of_now": "Показать текущие данные",
        "controls": "Период и момент времени",
        "from": "С (местная дата)",
        "to": "По (местная дата)",
        "as_of_input": "По состоянию на (время московское)",
        "show": "Показать",
        "timeline": "Задержания по дням",
        "timeline_desc": "Задержания по местным дням: проверенные снизу, непроверенные сверху.",
        "timeline_table": "Те же данные таблицей",
        "day": "День",
        "regions": "По регионам",
        "regions_caption": "Задержания по регионам за период; нажмите на заголовок столбца, чтобы отсортировать",
        "region": "Регион",
        "total": "Всего",
        "no_regions": "За этот период сообщений о задержаниях нет.",
        "checkpoints": "Действующие полицейские посты",
        "checkpoints_note": "Место указано с точностью около 1 км; время местное.",
        "no_checkpoints": "Действующих постов нет.",
        "bulletin": "Последняя сводка",
        "bulletin_as_of": "Эта страница по состоянию сводки ({time})",
        "bulletin_json": "Сводка в JSON",
        "last_confirmed": "последнее подтверждение {time}",
        "expires": "действует до {time}",
        "confirmations": "подтверждений: {n}",
        "status_verified": "проверено",
        "status_unverified": "не проверено",
        "downloads": "Скачать данные",
        "period_file": "{fmt} за этот период",
        "all_file": "{fmt} за все дни",
        "downloads_note": "Только агрегированные числа, без персональных данных; на тот же момент, что и страница.",
        "updated": "Данные обновлены.",
        "bad_input": "Не удалось понять параметры: {fields}. Показаны значения по умолчанию.",
        "moscow": "МСК",
        "map": "Карта задержаний по регионам",
        "map_desc": "Регионы закрашены по числу задержаний за период (проверенные и непроверенные вместе); "
        "нажмите на регион, чтобы увидеть его цифры.",
        "map_none": "нет сообщений",
        "map_disputed": "Крым и Севастополь (штриховка) — спорная территория: как «Сводка» их считает, сказано в методологии.",
        "map_region_title": "{name}: проверено {verified}, не проверено {unverified}",
        "cities": "По городам",
        "cities_caption": "Задержания по городам за период; нажмите на заголовок столбца, чтобы отсортировать",
        "city": "Город",
        "no_city": "(только регион)",
        "no_cities": "За этот период сообщений о задержаниях нет.",
        "place_shown": "Показаны только цифры места: {place}.",
        "all_places": "Показать все регионы",
        "methodology": "Что считают эти цифры, и как на них ссылаться: методология",
        "downloads_methodology": "Что значит каждый столбец — в методологии.",
        "xlsx_file": "Excel (.xlsx) за этот период",
    },
    "en": {
        "title": "Svodka: detentions and police checkpoints",
        "tagline": "Citizens' reports of detentions and police checkpoints in Russia",
        "nav_label": "Language",
        "other_lang_name": "Русский",
        "headline": "Detentions in the period",
        "period": "{start} to {end}",
        "verified": "Verified",
        "unverified": "Unverified",
        "reports": "Reports",
        "th_verified": "Verified",
        "th_unverified": "Unverified",
        "th_reports": "Reports",
        "rule": "Counts are detentions, not unique people.",
        "as_of": "As of {time} (event log position {position})",
        "as_of_empty": "No events yet (event log position 0)",
        "as_of_past": "Showing the figures as known at {time}.",
        "as_of_now": "Show the current figures",
        "controls": "Period and point in time",
        "from": "From (local date)",
        "to": "To (local date)",
        "as_of_input": "As of (Moscow time)",
        "show": "Show",
        "timeline": "Detentions per day",
        "timeline_desc": "Detentions per local day: verified at the bottom, unverified stacked on top.",
        "timeline_table": "The same figures as a table",
        "day": "Day",
        "regions": "By region",
        "regions_caption": "Detentions by region in the period; select a column heading to sort",
        "region": "Region",
        "total": "Total",
        "no_regions": "No detentions were reported in this period.",
        "checkpoints": "Active police checkpoints",
        "checkpoints_note": "Places are shown to about 1 km; times are local.",
        "no_checkpoints": "No active checkpoints.",
        "bulletin": "Latest bulletin",
        "bulletin_as_of": "This page as of the bulletin's figures ({time})",
        "bulletin_json": "The bulletin as JSON",
        "last_confirmed": "last confirmed {time}",
        "expires": "active until {time}",
        "confirmations": "confirmations: {n}",
        "status_verified": "verified",
        "status_unverified": "unverified",
        "downloads": "Download the data",
        "period_file": "{fmt} for this period",
        "all_file": "{fmt}, all days",
        "downloads_note": "Aggregate counts only, no personal data; as of the same moment as this page.",
        "updated": "The figures were updated.",
        "bad_input": "Could not read: {fields}. Showing the defaults instead.",
        "moscow": "MSK",
        "map": "Map of detentions by region",
        "map_desc": "Regions shaded by detentions in the period (verified and unverified together); "
        "select a region to see its figures.",
        "map_none": "no reports",
        "map_disputed": "Crimea and Sevastopol (hatched) are disputed: the methodology says how svodka counts them.",
        "map_region_title": "{name}: verified {verified}, unverified {unverified}",
        "cities": "By city",
        "cities_caption": "Detentions by city in the period; select a column heading to sort",
        "city": "City",
        "no_city": "(region only)",
        "no_cities": "No detentions were reported in this period.",
        "place_shown": "Showing the figures of one place only: {place}.",
        "all_places": "Show every region",
        "methodology": "What these figures count, and how to cite them: the methodology",
        "downloads_methodology": "What each column means: see the methodology.",
        "xlsx_file": "Excel (.xlsx) for this period",
    },
}


def negotiate(requested: str | None, accept_language: str | None) -> str:
    """An explicit ?lang= wins; else the browser's most preferred language we have."""
    if requested in LANGS:
        return requested
    best, best_q = DEFAULT_LANG, 0.0
    for item in (accept_language or "").split(","):
        tag, _, params = item.strip().partition(";")
        primary = tag.strip().lower().split("-")[0]
        if primary not in LANGS:
            continue
        q = _quality(params)
        # Strictly greater: on equal q the browser's earlier entry wins; q=0 means "not this one".
        if q > best_q:
            best, best_q = primary, q
    return best


def _quality(params: str) -> float:
    for param in params.split(";"):
        name, _, value = param.strip().partition("=")
        if name.strip() == "q":
            try:
                return max(0.0, min(1.0, float(value)))
            except ValueError:
                return 0.0
    return 1.0


def number(n: int, lang: str) -> str:
    # Russian groups thousands with a no-break space, English with a comma.
    return format_decimal(n, locale=lang)


def day(d: date, lang: str) -> str:
    """A chart label, short enough for one bar: "03.11" in Russian use, "3 Nov" in English."""
    return format_date(d, "dd.MM" if lang == "ru" else "d MMM", locale=lang)


def long_day(d: date, lang: str, *, year: bool) -> str:
    return format_date(d, "d MMMM y" if year else "d MMMM", locale=lang)


def moment(instant: datetime, lang: str, zone: tzinfo = MOSCOW, *, year: bool = True) -> str:
    return format_datetime(instant.astimezone(zone), "d MMMM y, HH:mm" if year else "d MMM, HH:mm", locale=lang)


def utc_offset(instant: datetime, zone: tzinfo) -> str:
    """'UTC+7': a time without its zone is ambiguous across Russia's eleven zones."""
    offset = instant.astimezone(zone).utcoffset()
    hours = int(offset.total_seconds() // 3600) if offset is not None else 0
    return f"UTC{hours:+d}"
