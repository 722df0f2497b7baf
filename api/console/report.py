"""GET /console/reports/{id}: one report for a moderator: its facts and what only moderators see,
its whole history, the reports most like it, its group, and its reporter's signal figures (how
they report, never who they are)."""

from __future__ import annotations

from datetime import datetime, timezone
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from api.console.domain_words import spoken
from api.console.i18n import register
from api.console.present import age, local_input, local_time, place_name
from api.console.web import PREFIX, Refused, Signed, console_session, render
from api.review import personal
from domain.application import Svodka
from domain.errors import ReportNotFound
from projections import schema, triage

router = APIRouter(include_in_schema=False)


@router.get(f"{PREFIX}/reports/{{rid}}", response_class=HTMLResponse)
async def report(request: Request, rid: UUID, signed: Signed = Depends(console_session("moderator"))) -> HTMLResponse:
    application: Svodka = request.app.state.config.application
    gazetteer = application.gazetteer

    def read():
        found = application.report(rid)
        return found, application.history(rid), personal(application, rid)

    try:
        found, history, fields = await run_in_threadpool(read)
    except ReportNotFound as missing:
        raise Refused(404, spoken(missing, signed.lang), signed.lang) from None
    similar, figures = [], None
    async with request.app.state.api.read_model.pool.acquire() as conn:
        if await schema.exists(conn):
            similar = (await triage.similar(conn, [rid], per_report=5))[rid]
            figures = await triage.reporter_figures(conn, found.reporter) if found.reporter else None
    here = f"{PREFIX}/reports/{rid}"
    return render(
        request, "report.html", signed, r=found, here=here, personal=fields,
        place=place_name(gazetteer, found.region, found.city, signed.lang),
        local=local_time(gazetteer, found.occurred_at, found.region),
        local_value=local_input(gazetteer, found.occurred_at, found.region),
        age=age(found.occurred_at, datetime.now(timezone.utc), signed.lang),
        found=[{"at": local_time(gazetteer, h.at, found.region), "by": h.by or "", "action": h.action,
                "why": h.why or (str(h.of) if h.of else "")} for h in history],
        similar=[{"s": s, "place": place_name(gazetteer, s.region, s.city, signed.lang),
                  "local": local_time(gazetteer, s.occurred_at, s.region)} for s in similar],
        figures=figures, flood_at=triage.FLOOD_PER_HOUR,
    )


register(
    ru={
        "report_title": "Отчёт",
        "history": "История",
        "group": "Группа дубликатов",
        "duplicate_of_root": "Дубликат отчёта",
        "its_duplicates": "Его дубликаты",
        "decide": "Решение",
        "duplicate_by_id": "Дубликат отчёта с id",
        "mark_duplicate": "Отметить дубликатом",
        "correct": "Исправить",
        "correct_help": "Изменить число, город или время (местное время места); пустые поля не меняются.",
        "city": "Город",
        "count": "Число задержанных",
        "local_time": "Время (местное)",
        "reporter": "Отправитель",
        "reporter_help": "Только цифры о том, как отправитель сообщает; кто он, консоль не знает.",
        "reporter_reports": "Отчётов по статусам",
        "busiest_hour": "Больше всего за час",
        "channel": "Канал",
        "occurred": "Когда произошло",
        "action_submitted": "отправлено", "action_verified": "проверено", "action_rejected": "отклонено",
        "action_duplicate": "отмечено дубликатом", "action_repointed": "дубликат перенесён",
        "action_reopened": "возвращено на проверку", "action_corrected": "исправлено", "action_retracted": "отозвано",
        "action_still_there": "пост на месте", "action_gone": "поста нет",
        "action_duplicate_attached": "добавлен дубликат", "action_duplicate_detached": "убран дубликат",
    },
    en={
        "report_title": "Report",
        "history": "History",
        "group": "Duplicate group",
        "duplicate_of_root": "Duplicate of",
        "its_duplicates": "Its duplicates",
        "decide": "Decision",
        "duplicate_by_id": "Duplicate of report id",
        "mark_duplicate": "Mark as duplicate",
        "correct": "Correct",
        "correct_help": "Change the count, city or time (the place's local time); empty fields stay as they are.",
        "city": "City",
        "count": "Detained",
        "local_time": "Time (local)",
        "reporter": "Reporter",
        "reporter_help": "Only figures on how this reporter reports; the console does not know who they are.",
        "reporter_reports": "Reports by status",
        "busiest_hour": "Most in one hour",
        "channel": "Channel",
        "occurred": "Occurred",
        "action_submitted": "submitted", "action_verified": "verified", "action_rejected": "rejected",
        "action_duplicate": "marked duplicate", "action_repointed": "duplicate re-pointed",
        "action_reopened": "reopened", "action_corrected": "corrected", "action_retracted": "retracted",
        "action_still_there": "still there", "action_gone": "gone",
        "action_duplicate_attached": "duplicate attached", "action_duplicate_detached": "duplicate detached",
    },
)
