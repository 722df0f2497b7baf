"""The operator's desk in Russian and English (api/console/desk.py)."""

from __future__ import annotations

from api.console.i18n import register


def register_words() -> None:
    register(
        ru={
            "dk_nav_enter": "Новый отчёт", "dk_nav_import": "Импорт CSV", "dk_nav_mine": "Мои отчёты",
            "dk_enter_help": "Отчёт, принятый по телефону. Время — местное время того места, где это "
                             "случилось: часовой пояс города указан в подсказке и в квитанции.",
            "dk_city": "Город", "dk_kind": "Что", "dk_detention": "Задержание", "dk_checkpoint": "Блокпост",
            "dk_count": "Сколько задержано", "dk_count_help": "для блокпоста оставьте пустым",
            "dk_time": "Местное время", "dk_description": "Описание (хранится зашифрованным, не публикуется)",
            "dk_submit": "Сохранить", "dk_fix": "Исправьте отмеченное; ничего не сохранено.",
            "dk_stale_form": "Форма устарела; откройте её заново.",
            "dk_not_found": "Такого отчёта от вас нет.",
            "dk_receipt": "Квитанция", "dk_saved": "Сохранено.", "dk_already": "Уже было получено по этой форме: "
                                                                               "второй раз не сохранено.",
            "dk_place": "Место", "dk_local_time": "Местное время", "dk_zone": "Часовой пояс",
            "dk_local_day": "Местные сутки", "dk_id": "Номер", "dk_status": "Статус", "dk_another": "Ещё отчёт",
            "dk_import_title": "Импорт таблицы", "dk_import_help": "CSV в UTF-8 (с BOM или без), через запятую или "
                               "точку с запятой. Первая строка — названия столбцов: город, вид, задержано, время, "
                               "описание (или city, kind, count, time, description). Время — местное для города. "
                               "Сначала проверка: ничего не сохраняется, пока вы не нажмёте «Импортировать».",
            "dk_file": "Файл CSV (до {mb} МБ)", "dk_check": "Проверить", "dk_no_file": "Выберите файл.",
            "dk_too_large": "Файл больше {mb} МБ; разделите его.",
            "dk_dry_run": "Проверка: ничего не сохранено", "dk_rows_valid": "Строк к сохранению: {n}",
            "dk_rows_before": "из них уже сохранено при прошлом импорте: {n}; второй раз не сохранятся",
            "dk_rows_wrong": "Строк с ошибками: {n} (они не будут сохранены)",
            "dk_import": "Импортировать {n} строк", "dk_row": "Строка", "dk_what": "Будет сохранено",
            "dk_wrong": "Что не так", "dk_result": "Результат импорта",
            "dk_stored": "сохранено", "dk_already_stored": "уже было", "dk_refused": "отклонено",
            "dk_not_stored": "не сохранено сейчас",
            "dk_reimport": "Каждая строка сохраняется под ключом из её собственного содержимого: повторный "
                           "импорт файла — того же, с исправленными строками, пересохранённого с другим "
                           "разделителем или без BOM — сохранит только строки, которых ещё не было. Исправленная "
                           "строка — новый отчёт; модератор увидит его рядом со старым среди похожих, а старый, "
                           "если он ошибочен, отзовите в «Моих отчётах». Одинаковые строки в одном файле — "
                           "разные отчёты.",
            "dk_new_row": "новая",
            "dk_mine_title": "Мои отчёты", "dk_mine_count": "Всего: {n}; по {limit} на странице, сначала последние.",
            "dk_mine_older": "Более ранние", "dk_mine_latest": "К последним",
            "dk_mine_no_older": "Более ранних отчётов нет.",
            "dk_mine_empty": "Вы ещё ничего не отправили.", "dk_reason": "Причина",
            "dk_retract": "Отозвать", "dk_retracted": "Отчёт отозван; он больше не считается.",
            "dk_reason_needed": "Укажите причину (до 1000 знаков).", "dk_submitted": "Отправлено",
            "dk_status_unreviewed": "не проверено", "dk_status_verified": "подтверждено",
            "dk_status_rejected": "отклонено", "dk_status_duplicate": "дубликат", "dk_status_retracted": "отозвано",
            "dk_notes": "Замечания",
            "dk_region": "Регион", "dk_date": "Дата",
            "dk_region_field": "Регион (если города нет в списке: посёлок, трасса)",
            "dk_region_by_city": "— по городу —",
            "dk_p_unreadable": "Эту строку нельзя прочитать как CSV.",
            "dk_p_cells": "В строке {cells} ячеек, а в заголовке {header}: нет ли запятой или точки с запятой "
                          "внутри ячейки без кавычек?",
            "dk_p_kind": "Непонятный вид «{value}»: напишите «задержание» или «блокпост».",
            "dk_p_no_city": "Не указан город.", "dk_p_long_city": "Название города длиннее 100 знаков.",
            "dk_p_unknown_city": "Неизвестный город «{value}». Если его нет в списке, укажите регион.",
            "dk_p_unknown_city_hint": "Неизвестный город «{value}». Может быть, {hints}?",
            "dk_p_no_count": "Не указано, сколько человек задержано.",
            "dk_p_count": "«{value}» — не целое число.",
            "dk_p_no_time": "Не указано время; например, 21.11.2026 19:30.",
            "dk_p_time": "Время «{value}» не понято; пишите так: 21.11.2026 19:30 или 2026-11-21 19:30.",
        },
        en={
            "dk_nav_enter": "New report", "dk_nav_import": "Import CSV", "dk_nav_mine": "My reports",
            "dk_enter_help": "A report taken by phone. The time is the local time where it happened: the "
                             "city's time zone is in the suggestions and on the receipt.",
            "dk_city": "City", "dk_kind": "What", "dk_detention": "Detention", "dk_checkpoint": "Checkpoint",
            "dk_count": "People detained", "dk_count_help": "leave empty for a checkpoint",
            "dk_time": "Local time", "dk_description": "Description (kept encrypted, never published)",
            "dk_submit": "Save", "dk_fix": "Correct what is marked; nothing was saved.",
            "dk_stale_form": "This form is stale; open it again.",
            "dk_not_found": "You sent no such report.",
            "dk_receipt": "Receipt", "dk_saved": "Saved.", "dk_already": "Already received from this form: "
                                                                         "not saved a second time.",
            "dk_place": "Place", "dk_local_time": "Local time", "dk_zone": "Time zone",
            "dk_local_day": "Local day", "dk_id": "Id", "dk_status": "Status", "dk_another": "Another report",
            "dk_import_title": "Import a spreadsheet", "dk_import_help": "CSV in UTF-8 (with or without BOM), "
                               "comma or semicolon separated. The first row names the columns: city, kind, count, "
                               "time, description (or город, вид, задержано, время, описание). Times are the "
                               "city's local time. A dry run comes first: nothing is stored until you press Import.",
            "dk_file": "CSV file (up to {mb} MB)", "dk_check": "Dry run", "dk_no_file": "Choose a file.",
            "dk_too_large": "The file is larger than {mb} MB; split it.",
            "dk_dry_run": "Dry run: nothing was stored", "dk_rows_valid": "Rows to store: {n}",
            "dk_rows_before": "{n} of them already stored by an earlier import, and not stored twice",
            "dk_rows_wrong": "Rows with mistakes: {n} (they will not be stored)",
            "dk_import": "Import {n} rows", "dk_row": "Row", "dk_what": "Would be stored",
            "dk_wrong": "What is wrong", "dk_result": "Import result",
            "dk_stored": "stored", "dk_already_stored": "already stored", "dk_refused": "refused",
            "dk_not_stored": "not stored now",
            "dk_reimport": "Each row is stored under a key made from its own content: importing the file again "
                           "(unchanged, with rows corrected, or re-saved with another delimiter or without BOM) "
                           "stores only the rows not stored before. A corrected row is a new report; the moderator "
                           "sees it next to the old one among similar reports, and you can retract the old one in "
                           "My reports if it was wrong. Identical rows in one file are separate reports.",
            "dk_new_row": "new",
            "dk_mine_title": "My reports", "dk_mine_count": "{n} in all; {limit} a page, the latest first.",
            "dk_mine_older": "Older", "dk_mine_latest": "Back to the latest",
            "dk_mine_no_older": "No older reports.",
            "dk_mine_empty": "You have not sent anything yet.", "dk_reason": "Reason",
            "dk_retract": "Retract", "dk_retracted": "The report was retracted; it no longer counts.",
            "dk_reason_needed": "Give a reason (up to 1,000 characters).", "dk_submitted": "Sent",
            "dk_status_unreviewed": "unreviewed", "dk_status_verified": "verified",
            "dk_status_rejected": "rejected", "dk_status_duplicate": "duplicate", "dk_status_retracted": "retracted",
            "dk_notes": "Notes",
            "dk_region": "Region", "dk_date": "Date",
            "dk_region_field": "Region (when the city is not listed: a village, a road)",
            "dk_region_by_city": "— from the city —",
            "dk_p_unreadable": "This row cannot be read as CSV.",
            "dk_p_cells": "This row has {cells} cells and the header {header}: is a comma or semicolon inside "
                          "a cell not in quotes?",
            "dk_p_kind": "Unknown kind {value!r}: write detention or checkpoint.",
            "dk_p_no_city": "No city.", "dk_p_long_city": "The city is longer than 100 characters.",
            "dk_p_unknown_city": "Unknown city {value!r}. If it is not listed, give the region.",
            "dk_p_unknown_city_hint": "Unknown city {value!r}. Did you mean {hints}?",
            "dk_p_no_count": "No count: how many people were detained?",
            "dk_p_count": "{value!r} is not a whole number.",
            "dk_p_no_time": "No time; e.g. 2026-11-21 19:30.",
            "dk_p_time": "The time {value!r} is not understood; write it as 2026-11-21 19:30 or 21.11.2026 19:30.",
        },
    )
