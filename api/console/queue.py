"""GET /console/queue: the moderator's queue, with filters and their counts, each report beside
the reports most like it, and the forms that decide it (posted to api/console/decide.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.concurrency import run_in_threadpool

from api.console.i18n import register
from api.console.present import age, city_name, local_time, place_name
from api.console.web import PREFIX, Refused, Signed, console_session, render
from api.review import Personal, personal
from domain.application import Svodka
from domain.model import Kind
from projections import schema, triage
from projections.triage import FACETS, STATUSES, QueueFilter

router = APIRouter(include_in_schema=False)
PAGE = 50


@dataclass
class Shown:
    """One report as a row of the console: its facts in the page's words, and its suggestions."""

    row: triage.Row
    place: str
    local: str
    age: str
    personal: Personal
    similar: list[dict[str, Any]]


def parse_filter(params: dict[str, str], lang: str, w: dict[str, str]) -> QueueFilter:
    def pick(name: str, allowed: tuple[str, ...] | None = None) -> str | None:
        value = (params.get(name) or "").strip() or None
        if value is not None and allowed is not None and value not in allowed:
            raise Refused(400, w["bad_filter"].format(name=name), lang)
        return value

    day = pick("day")
    try:
        parsed_day = date.fromisoformat(day) if day else None
    except ValueError:
        raise Refused(400, w["bad_filter"].format(name="day"), lang) from None
    status = pick("status", (*STATUSES, "all"))
    flood = pick("flood", ("yes", "no"))
    return QueueFilter(
        kind=pick("kind", tuple(k.value for k in Kind)), region=pick("region"), city=pick("city"), day=parsed_day,
        status=None if status == "all" else (status or "unreviewed"),
        flood=None if flood is None else flood == "yes",
    )


def filter_params(question: QueueFilter) -> dict[str, str]:
    out = {name: str(getattr(question, name)) for name in ("kind", "region", "city", "day")
           if getattr(question, name) is not None}
    out["status"] = question.status or "all"
    if question.flood is not None:
        out["flood"] = "yes" if question.flood else "no"
    return out


def facet_options(question: QueueFilter, counts: dict[str, list[tuple[Any, int]]], gazetteer, lang: str,
                  w: dict[str, str]) -> dict[str, list[tuple[str, str, int, bool]]]:
    """For each filter: (value, label, count, chosen), the busiest first."""
    chosen = filter_params(question)
    out: dict[str, list[tuple[str, str, int, bool]]] = {}
    for facet in FACETS:
        options = []
        for value, n in counts.get(facet, []):
            if facet == "flood":
                key, label = ("yes", w["flooding"]) if value else ("no", w["not_flooding"])
            elif facet == "region":
                key = value
                label = gazetteer.name(value, lang) if gazetteer.has_region(value) else value
            elif facet == "city":
                if value is None:
                    continue
                key, label = value, city_name(gazetteer, value, lang)
            elif facet in ("kind", "status"):
                key, label = value, w.get(f"{facet}_{value}", value)
            else:
                key, label = str(value), str(value)
            options.append((key, label, n, chosen.get(facet) == key))
        out[facet] = options
    return out


async def shown_rows(request: Request, rows: list[triage.Row], lang: str) -> list[Shown]:
    """Rows with their place-local times, ages, decrypted personal fields and similar reports."""
    if not rows:
        return []
    application: Svodka = request.app.state.config.application
    gazetteer = application.gazetteer
    async with request.app.state.api.read_model.pool.acquire() as conn:
        similar = await triage.similar(conn, [r.id for r in rows])
    fields = await run_in_threadpool(lambda: [personal(application, r.id) for r in rows])
    now = datetime.now(timezone.utc)
    return [
        Shown(r, place_name(gazetteer, r.region, r.city, lang), local_time(gazetteer, r.occurred_at, r.region),
              age(r.submitted_at, now, lang), p,
              [{"s": s, "place": place_name(gazetteer, s.region, s.city, lang),
                "local": local_time(gazetteer, s.occurred_at, s.region)} for s in similar[r.id]])
        for r, p in zip(rows, fields, strict=True)
    ]


@router.get(f"{PREFIX}/queue", response_class=HTMLResponse)
async def queue(request: Request, signed: Signed = Depends(console_session("moderator"))) -> HTMLResponse:
    params = dict(request.query_params)
    question = parse_filter(params, signed.lang, signed.w)
    offset = int(params["offset"]) if params.get("offset", "").isdigit() else 0
    async with request.app.state.api.read_model.pool.acquire() as conn:
        found = (await triage.queue(conn, question, limit=PAGE, offset=offset) if await schema.exists(conn)
                 else triage.Queue([], 0))
    gazetteer = request.app.state.config.application.gazetteer
    chosen = filter_params(question)
    here = f"{PREFIX}/queue?{urlencode({**chosen, 'offset': offset})}"
    return render(
        request, "queue.html", signed,
        rows=await shown_rows(request, found.rows, signed.lang), total=found.total, offset=offset, page=PAGE,
        facets=facet_options(question, found.counts, gazetteer, signed.lang, signed.w), chosen=chosen,
        here=here, total_href=f"{PREFIX}/queue/total?{urlencode(chosen)}", next_href=f"{PREFIX}/queue?{urlencode({**chosen, 'offset': offset + PAGE})}",
        prev_href=f"{PREFIX}/queue?{urlencode({**chosen, 'offset': max(0, offset - PAGE)})}",
    )


@router.get(f"{PREFIX}/queue/total")
async def queue_total(request: Request, signed: Signed = Depends(console_session("moderator"))) -> JSONResponse:
    """How many reports the queue's filters give now: the script polls it to offer a reload."""
    question = parse_filter(dict(request.query_params), signed.lang, signed.w)
    async with request.app.state.api.read_model.pool.acquire() as conn:
        total = await triage.count(conn, question) if await schema.exists(conn) else 0
    return JSONResponse({"total": total}, headers={"Cache-Control": "no-store"})


def report_href(rid: UUID) -> str:
    return f"{PREFIX}/reports/{rid}"


register(
    ru={
        "queue_title": "Очередь модерации",
        "bad_filter": "Фильтр «{name}» задан неверно.",
        "flooding": "частые отчёты",
        "not_flooding": "обычные",
        "filter_kind": "Тип", "filter_region": "Регион", "filter_city": "Город", "filter_day": "Местный день",
        "filter_status": "Статус", "filter_flood": "Сигнал отправителя", "any": "все", "show": "Показать",
        "kind_detention": "задержание", "kind_checkpoint": "пост",
        "status_unreviewed": "не проверено", "status_verified": "проверено", "status_rejected": "отклонено",
        "status_duplicate": "дубликат", "status_retracted": "отозвано",
        "found": "Найдено: {n}",
        "empty": "Здесь ничего нет.",
        "detained": "задержано: {n}",
        "age": "{age} назад",
        "point": "точка",
        "erased": "данные стёрты по просьбе отправителя",
        "no_description": "без описания",
        "reporter_last_hour": "от этого отправителя за час: {n}",
        "blocked": "отправитель заблокирован",
        "similar": "Похожие",
        "no_similar": "Похожих нет.",
        "km": "{km} км",
        "same_city": "тот же город",
        "score": "сходство {score}",
        "duplicate_of": "Дубликат этого",
        "verify": "Проверено",
        "reject": "Отклонить",
        "reason": "Причина",
        "reopen": "Вернуть на проверку",
        "open": "Открыть",
        "pick": "Выбрать",
        "bulk": "С выбранными",
        "bulk_verify": "Проверено",
        "bulk_reject": "Отклонить с причиной",
        "shortcuts": "Клавиши: j/k — вниз/вверх, v — проверено, r — причина отказа, d — дубликат первого похожего, "
                "o — открыть.",
        "next": "Дальше",
        "prev": "Назад",
        "version": "версия {v}",
        "changed": "Очередь изменилась — обновить",
    },
    en={
        "queue_title": "Moderation queue",
        "bad_filter": "The filter “{name}” is not valid.",
        "flooding": "flooding",
        "not_flooding": "usual",
        "filter_kind": "Kind", "filter_region": "Region", "filter_city": "City", "filter_day": "Local day",
        "filter_status": "Status", "filter_flood": "Reporter signal", "any": "any", "show": "Show",
        "kind_detention": "detention", "kind_checkpoint": "checkpoint",
        "status_unreviewed": "unreviewed", "status_verified": "verified", "status_rejected": "rejected",
        "status_duplicate": "duplicate", "status_retracted": "retracted",
        "found": "Found: {n}",
        "empty": "Nothing here.",
        "detained": "detained: {n}",
        "age": "{age} ago",
        "point": "point",
        "erased": "erased at the reporter's request",
        "no_description": "no description",
        "reporter_last_hour": "from this reporter in the hour: {n}",
        "blocked": "reporter blocked",
        "similar": "Similar",
        "no_similar": "None similar.",
        "km": "{km} km",
        "same_city": "same city",
        "score": "score {score}",
        "duplicate_of": "Duplicate of this",
        "verify": "Verify",
        "reject": "Reject",
        "reason": "Reason",
        "reopen": "Reopen",
        "open": "Open",
        "pick": "Select",
        "bulk": "Selected",
        "bulk_verify": "Verify",
        "bulk_reject": "Reject with reason",
        "shortcuts": "Keys: j/k down/up, v verify, r reject reason, d duplicate of the top suggestion, o open.",
        "next": "Next",
        "prev": "Previous",
        "version": "version {v}",
        "changed": "The queue has changed — reload",
    },
)
