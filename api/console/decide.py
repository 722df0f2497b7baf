"""The moderator's forms: one decision (POST /console/reports/{id}/{action}) or many (POST
/console/bulk), each through api/decisions.py as the JSON API's are, with the version seen.

A decision on a version someone else has moved past is not applied: the page shows what changed
since, and who changed it, and offers to apply the same decision to the version now there.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from api.console.domain_words import spoken
from api.console.i18n import register
from api.console.present import local_time
from api.console.web import PREFIX, Posted, Refused, back_to, console_post, render, see_other
from api.decisions import Action, Facts, changes_since, decide
from api.errors import domain_status
from domain.application import HistoryEntry, Svodka
from domain.errors import Conflict, DomainError, ReportNotFound
from projections import triage

router = APIRouter(include_in_schema=False)
# How long a decision waits for the read model to fold it, so the page it returns to shows it.
FOLD_WAIT_SECONDS = 5.0
FORM_ACTIONS: tuple[Action, ...] = ("verify", "reject", "duplicate", "reopen", "correct")
BULK_ACTIONS = ("verify", "reject")
CARRIED = ("reason", "note", "of", "detained", "city", "region", "occurred_at")  # what a retry posts again


def _version(raw: str, posted: Posted) -> int:
    if not raw.isdigit() or int(raw) < 1:
        raise Refused(422, posted.signed.w["no_version"], posted.signed.lang)
    return int(raw)


def facts_of(posted: Posted, application: Svodka, rid: UUID) -> Facts:
    """The form's fields as the decision's facts; a correction's time is the place's wall clock."""
    w, lang = posted.signed.w, posted.signed.lang

    def optional_int(name: str) -> int | None:
        raw = posted.get(name)
        if not raw:
            return None
        if not raw.isdigit():
            raise Refused(422, w["bad_number"], lang)
        return int(raw)

    of = None
    if posted.get("of"):
        try:
            of = UUID(posted.get("of"))
        except ValueError:
            raise Refused(422, w["bad_of"], lang) from None
    occurred_at = None
    if raw := posted.get("occurred_at"):
        try:
            local = datetime.fromisoformat(raw)
        except ValueError:
            raise Refused(422, w["bad_time"], lang) from None
        region = posted.get("region") or application.report(rid).region
        zone = application.gazetteer.region(region).tz() if application.gazetteer.has_region(region) else None
        occurred_at = local if local.tzinfo else local.replace(tzinfo=zone)
    return Facts(note=posted.get("note") or None, reason=posted.get("reason") or None, of=of,
                 detained=optional_int("detained"), region=posted.get("region") or None,
                 city=posted.get("city") or None, occurred_at=occurred_at)


@dataclass(frozen=True, slots=True)
class Change:
    at: str
    by: str
    action: str
    why: str


def changes(application: Svodka, rid: UUID, seen: int) -> tuple[list[Change], int]:
    """What changed after version `seen`, and the version now."""
    report = application.report(rid)
    entries: list[HistoryEntry] = changes_since(application, rid, seen)
    return [Change(local_time(application.gazetteer, e.at, report.region), e.by or "", e.action,
                   e.why or (str(e.of) if e.of else "")) for e in entries], report.version


async def folded(request: Request, rid: UUID, version: int) -> None:
    """Read your own writes: the queue comes from the read model, a moment behind the event store;
    returning before it has the decision would show the report as it was, and a second click on it
    would be a conflict. A stalled projector costs a few seconds here, not an error."""
    deadline = time.monotonic() + FOLD_WAIT_SECONDS
    while time.monotonic() < deadline:
        async with request.app.state.api.read_model.pool.acquire() as conn:
            seen = await triage.folded_version(conn, rid)
        if seen is None or seen >= version:
            return
        await asyncio.sleep(0.05)


@router.post(f"{PREFIX}/reports/{{rid}}/{{action}}")
async def decide_one(request: Request, rid: UUID, action: str,
                     posted: Posted = Depends(console_post("moderator"))) -> Response:
    w, lang = posted.signed.w, posted.signed.lang
    if action not in FORM_ACTIONS:
        raise Refused(404, w["no_action"], lang)
    seen = _version(posted.get("version"), posted)
    application: Svodka = request.app.state.config.application

    def run():
        facts = facts_of(posted, application, rid)
        try:
            return decide(application, rid, action, by=posted.signed.name, seen=seen, facts=facts), None
        except Conflict as conflict:
            return None, (conflict, *changes(application, rid, seen))

    try:
        outcome, conflict = await run_in_threadpool(run)
    except ReportNotFound as missing:
        raise Refused(404, spoken(missing, lang), lang) from None
    except DomainError as refused:
        return render(request, "refused.html", posted.signed, status=domain_status(refused),
                      message=spoken(refused, lang), back=back_to(posted, f"{PREFIX}/reports/{rid}"))
    if conflict is not None:
        _, found, now = conflict
        return render(request, "conflict.html", posted.signed, status=409, rid=rid, action=action, seen=seen,
                      now=now, found=found, carried={k: posted.get(k) for k in CARRIED if posted.get(k)},
                      back=back_to(posted, f"{PREFIX}/reports/{rid}"))
    await folded(request, rid, outcome.version)
    return see_other(back_to(posted, f"{PREFIX}/reports/{rid}"))


@dataclass(frozen=True, slots=True)
class BulkResult:
    id: str
    ok: bool
    message: str
    version: int = 0


@router.post(f"{PREFIX}/bulk")
async def decide_many(request: Request, posted: Posted = Depends(console_post("moderator"))) -> Response:
    """Each picked report is its own decision, with its own version check: one failing does not
    stop the others, and every failure is listed."""
    w, lang = posted.signed.w, posted.signed.lang
    action = posted.get("action")
    if action not in BULK_ACTIONS:
        raise Refused(422, w["no_action"], lang)
    picks = [p for p in posted.form.getlist("pick") if isinstance(p, str)]
    if not picks:
        raise Refused(422, w["bulk_none"], lang)
    reason = posted.get("reason")
    if action == "reject" and not reason:
        raise Refused(422, w["bulk_reason"], lang)
    application: Svodka = request.app.state.config.application

    def run() -> list[BulkResult]:
        results = []
        for pick in picks[:200]:
            rid_text, _, version = pick.partition(":")
            try:
                rid = UUID(rid_text)
                if not version.isdigit():
                    raise ValueError(version)
                outcome = decide(application, rid, action, by=posted.signed.name, seen=int(version),
                                 facts=Facts(reason=reason or None))
                results.append(BulkResult(rid_text, True, w[f"status_{outcome.status}"], outcome.version))
            except ValueError:
                results.append(BulkResult(rid_text, False, w["bad_pick"]))
            except Conflict:
                found, now = changes(application, rid, int(version))
                who = ", ".join(sorted({c.by for c in found if c.by})) or "?"
                results.append(BulkResult(rid_text, False, w["bulk_conflict"].format(version=now, who=who)))
            except DomainError as refused:
                results.append(BulkResult(rid_text, False, spoken(refused, lang)))
        return results

    results = await run_in_threadpool(run)
    if done := [r for r in results if r.ok]:
        await folded(request, UUID(done[-1].id), done[-1].version)  # folded in order: the last one is enough
    return render(request, "bulk.html", posted.signed, results=results,
                  done=[r for r in results if r.ok], failed=[r for r in results if not r.ok],
                  back=back_to(posted, f"{PREFIX}/queue"))


register(
    ru={
        "no_version": "В форме нет версии отчёта; откройте страницу заново.",
        "no_action": "Такого действия нет.",
        "bad_number": "Число задержанных должно быть целым числом.",
        "bad_of": "Укажите id отчёта, дубликатом которого является этот.",
        "bad_time": "Время не разобрать; нужен формат ГГГГ-ММ-ДДTЧЧ:ММ.",
        "bad_pick": "неверный выбор",
        "bulk_none": "Ничего не выбрано.",
        "bulk_reason": "Чтобы отклонить, укажите причину.",
        "bulk_conflict": "уже изменено ({who}), теперь версия {version}; решите заново",
        "bulk_title": "Результат",
        "bulk_done": "Сделано: {n}",
        "bulk_failed": "Не сделано: {n}",
        "conflict_title": "Отчёт уже изменили",
        "conflict_intro": "Вы решали по версии {seen}, а сейчас версия {now}. Изменения после вашей версии:",
        "when": "Когда", "who": "Кто", "what": "Что", "why": "Почему",
        "apply_anyway": "Применить моё решение к версии {now}",
        "open_report": "Открыть отчёт",
    },
    en={
        "no_version": "The form has no report version; open the page again.",
        "no_action": "There is no such action.",
        "bad_number": "The number detained must be a whole number.",
        "bad_of": "Give the id of the report this one duplicates.",
        "bad_time": "The time cannot be read; use YYYY-MM-DDTHH:MM.",
        "bad_pick": "not a valid selection",
        "bulk_none": "Nothing was selected.",
        "bulk_reason": "Give a reason to reject.",
        "bulk_conflict": "already changed ({who}), now version {version}; decide again",
        "bulk_title": "Result",
        "bulk_done": "Done: {n}",
        "bulk_failed": "Not done: {n}",
        "conflict_title": "Someone changed this report first",
        "conflict_intro": "You decided on version {seen}; it is now version {now}. What changed since yours:",
        "when": "When", "who": "Who", "what": "What", "why": "Why",
        "apply_anyway": "Apply my decision to version {now}",
        "open_report": "Open the report",
    },
)
