"""GET /console/signals: the busiest pseudonyms by hour, where a flood shows before it counts;
blocking a reporter, and forgetting one (asked through the hotline) after a confirmation."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from api import decisions
from api.console.domain_words import spoken
from api.console.i18n import register
from api.console.web import PREFIX, Posted, Refused, Signed, back_to, console_post, console_session, render, see_other
from domain.errors import DomainError
from domain.reporter import REFERENCE_PATTERN
from projections import queries, schema
from projections.triage import FLOOD_PER_HOUR

router = APIRouter(include_in_schema=False)
REFERENCE = re.compile(REFERENCE_PATTERN)
SINCE_HOURS = (6, 24, 24 * 7)


def _reference(ref: str, signed: Signed) -> str:
    if not REFERENCE.fullmatch(ref):
        raise Refused(404, signed.w["no_reporter"], signed.lang)
    return ref


@router.get(f"{PREFIX}/signals", response_class=HTMLResponse)
async def signals(request: Request, signed: Signed = Depends(console_session("moderator"))) -> HTMLResponse:
    hours = request.query_params.get("hours", "24")
    hours_n = int(hours) if hours.isdigit() and int(hours) in SINCE_HOURS else 24
    since = datetime.now(timezone.utc) - timedelta(hours=hours_n)
    async with request.app.state.api.read_model.pool.acquire() as conn:
        found = await queries.abuse_signals(conn, since=since, min_submitted=1, limit=100) \
            if await schema.exists(conn) else []
    return render(request, "signals.html", signed, signals=found, hours=hours_n, choices=SINCE_HOURS,
                  flood_at=FLOOD_PER_HOUR, here=f"{PREFIX}/signals?hours={hours_n}")


@router.post(f"{PREFIX}/reporters/{{ref}}/block")
async def block(request: Request, ref: str, posted: Posted = Depends(console_post("moderator"))) -> Response:
    ref = _reference(ref, posted.signed)
    if not posted.get("reason"):
        raise Refused(422, posted.signed.w["bulk_reason"], posted.signed.lang)
    application = request.app.state.config.application
    try:
        await run_in_threadpool(lambda: decisions.block(application, ref, by=posted.signed.name,
                                                        reason=posted.get("reason")))
    except DomainError as refused:
        raise Refused(422, spoken(refused, posted.signed.lang), posted.signed.lang) from None
    return see_other(back_to(posted, f"{PREFIX}/signals"))


@router.get(f"{PREFIX}/reporters/{{ref}}/forget", response_class=HTMLResponse)
async def forget_form(request: Request, ref: str, signed: Signed = Depends(console_session("moderator"))) -> HTMLResponse:
    return render(request, "forget.html", signed, ref=_reference(ref, signed))


@router.post(f"{PREFIX}/reporters/{{ref}}/forget")
async def forget(request: Request, ref: str, posted: Posted = Depends(console_post("moderator"))) -> Response:
    """Only with the confirmation form's `confirm=yes`: erasing cannot be undone."""
    ref = _reference(ref, posted.signed)
    if posted.get("confirm") != "yes":
        return see_other(f"{PREFIX}/reporters/{ref}/forget")
    application = request.app.state.config.application
    try:
        await run_in_threadpool(lambda: decisions.forget(application, ref, by=posted.signed.name))
    except DomainError as refused:
        raise Refused(422, spoken(refused, posted.signed.lang), posted.signed.lang) from None
    return render(request, "forgotten.html", posted.signed, ref=ref)


register(
    ru={
        "signals_title": "Сигналы: самые частые отправители по часам",
        "signals_help": "Отправитель обозначен случайной ссылкой, а не тем, кто он. От {n} отчётов в час — "
                        "«частые отчёты».",
        "since_hours": "за {n} ч",
        "hour": "Час (UTC)",
        "submitted": "Отправлено",
        "rejected": "Отклонено",
        "no_signals": "За этот период отчётов от отправителей нет.",
        "block": "Заблокировать",
        "forget": "Стереть данные отправителя…",
        "forget_title": "Стереть данные отправителя",
        "forget_warning": "Описания и точные координаты всех отчётов отправителя {ref} будут стёрты "
                          "безвозвратно; счёт задержаний останется. Делайте это только по просьбе самого отправителя.",
        "forget_confirm": "Да, стереть безвозвратно",
        "forgotten": "Данные отправителя {ref} стёрты.",
        "no_reporter": "Такого отправителя нет.",
    },
    en={
        "signals_title": "Signals: the busiest reporters by hour",
        "signals_help": "A reporter is named by a random reference, not by who they are. {n} or more reports "
                        "in an hour is “flooding”.",
        "since_hours": "last {n} h",
        "hour": "Hour (UTC)",
        "submitted": "Sent",
        "rejected": "Rejected",
        "no_signals": "No reports from reporters in this period.",
        "block": "Block",
        "forget": "Erase the reporter's data…",
        "forget_title": "Erase the reporter's data",
        "forget_warning": "The descriptions and precise points of every report from reporter {ref} will be erased "
                          "for good; the counts stay. Do this only when the reporter asked for it.",
        "forget_confirm": "Yes, erase for good",
        "forgotten": "The data of reporter {ref} is erased.",
        "no_reporter": "There is no such reporter.",
    },
)
