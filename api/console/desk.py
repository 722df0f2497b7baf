"""The operator's desk: a form for a phoned-in report, a CSV import with its dry run, and the
operator's own reports with retract. Every report goes through the intake group commit as
POST /v1/reports does, under the operator's channel: one domain path, three front doors."""

from __future__ import annotations

import base64
import binascii
import re
import uuid
from datetime import datetime
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from api.console.decide import folded
from api.console.desk_words import register_words
from api.console.domain_words import spoken
from api.console.importing import (
    IMPORT_PATH, MAX_FILE_BYTES, MAX_IMPORT_BODY, dry_run, import_rows, operator_channel, stored_before,
)
from api.console.present import city_name, local_time, place_name
from api.console.web import (
    PREFIX, Posted, Refused, Signed, console_post, console_session, render, see_other, within,
)
from domain.application import Svodka
from domain.errors import DomainError, ReportNotFound
from domain.sheet import Problem, RowReader, Sheet
from projections import schema, triage

router = APIRouter(include_in_schema=False)
DESK = f"{PREFIX}/desk"
KEY = re.compile(r"^desk-[0-9a-f]{32}$")  # the form's own idempotency key, made when the form is shown
FIELDS = ("city", "region", "kind", "count", "time", "description")
MINE_PAGE = 100  # "my reports" a page at a time, newest first
register_words()
_operator_post = console_post("operator")


async def desk_post(request: Request) -> Posted:
    """An operator's form (a report, an import, a retraction) within the operator's budget
    (ApiConfig.desk_per_operator), counted once the form has passed its CSRF check, so a forged
    post cannot spend it: a session taken over, or a script at the form, stores no faster."""
    posted = await _operator_post(request)
    await within(request, "desk", posted.signed.name, request.app.state.api.config.desk_per_operator,
                 posted.signed.lang, "too_fast")
    return posted


def _application(request: Request) -> Svodka:
    return request.app.state.api.config.application


def _cities(application: Svodka, lang: str) -> list[dict[str, str]]:
    """The datalist: every city in the page's language, with its region and time zone as the hint."""
    gazetteer = application.gazetteer
    out = []
    for city in sorted(gazetteer.cities, key=lambda c: -c.population):
        region = gazetteer.region(city.region)
        out.append({"name": city.name_ru if lang == "ru" else city.name_en,
                    "hint": f"{region.name_ru if lang == 'ru' else region.name_en} · {region.timezone}"})
    return out


def _regions(application: Svodka, lang: str) -> list[tuple[str, str]]:
    """(code, name) for a place the gazetteer has no city for: a village is counted under its region."""
    regions = [(r.code, r.name_ru if lang == "ru" else r.name_en) for r in application.gazetteer.regions]
    return sorted(regions, key=lambda r: r[1])


def _form(request: Request, signed: Signed, *, values: dict[str, str] | None = None, key: str | None = None,
          problems: dict[str | None, str] | None = None, status: int = 200) -> HTMLResponse:
    application = _application(request)
    return render(request, "desk.html", signed, status=status, values=values or {"kind": "detention"},
                  key=key or f"desk-{uuid.uuid4().hex}", problems=problems or {},
                  cities=_cities(application, signed.lang), regions=_regions(application, signed.lang))


@router.get(DESK, response_class=HTMLResponse)
async def desk(request: Request, signed: Signed = Depends(console_session("operator"))) -> HTMLResponse:
    return _form(request, signed)


@router.post(f"{DESK}/reports")
async def enter(request: Request, posted: Posted = Depends(desk_post)) -> Response:
    """The form as a sheet of one row, read by the import's rules; stored under the form's key, so a
    second click (or a resend after a lost answer) is the same report."""
    signed, application = posted.signed, _application(request)
    values = {name: posted.get(name) for name in FIELDS}
    key = posted.get("key")
    if not KEY.match(key):
        raise Refused(422, signed.w["dk_stale_form"], signed.lang)
    channel = operator_channel(signed.name)
    row = await run_in_threadpool(lambda: RowReader(application, channel).read(0, values, key))
    if row.report is None:
        problems = {p.column if p.column in FIELDS else None: say(p, signed) for p in row.problems}
        return _form(request, signed, values=values, key=key, problems=problems, status=422)
    try:
        submission = await request.app.state.api.intake.submit(row.report)
    except DomainError as error:  # this form's key was used for a different report (edited after sending)
        return _form(request, signed, values=values, problems={None: spoken(error, signed.lang)}, status=409)
    request.app.state.api.metrics.intake_outcome("created" if submission.created else "retry")
    return see_other(f"{DESK}/reports/{submission.id}?new={int(submission.created)}")


@router.get(f"{DESK}/reports/{{rid}}", response_class=HTMLResponse)
async def receipt(request: Request, rid: UUID, signed: Signed = Depends(console_session("operator"))) -> Response:
    """What was understood and stored: place, local time with its offset, local day, id."""
    application = _application(request)
    try:
        report = await run_in_threadpool(application.sent_by, rid, operator_channel(signed.name))
    except ReportNotFound:
        raise Refused(404, signed.w["dk_not_found"], signed.lang) from None
    zone = application.gazetteer.region(report.region).timezone
    return render(request, "desk_receipt.html", signed, report=report, zone=zone,
                  created=request.query_params.get("new") != "0",
                  place=place_name(application.gazetteer, report.region, report.city, signed.lang),
                  local=local_time(application.gazetteer, report.occurred_at, report.region))


# -- bulk import ----------------------------------------------------------------------------------


@router.get(IMPORT_PATH, response_class=HTMLResponse)
async def import_form(request: Request, signed: Signed = Depends(console_session("operator"))) -> HTMLResponse:
    return render(request, "desk_import.html", signed, sheet=None, done=None, encoded="", problem=None,
                  max_mb=MAX_FILE_BYTES // (1024 * 1024))


async def _large_form(request: Request) -> None:
    """Parsed before the CSRF check reads it, with room for the file sent back in base64: the
    default cap of 1 MiB per field would refuse a 10,000-row file. The body limit still holds."""
    await request.form(max_files=1, max_fields=10, max_part_size=MAX_IMPORT_BODY)


@router.post(IMPORT_PATH, response_class=HTMLResponse)
async def import_file(request: Request, _: None = Depends(_large_form),
                      posted: Posted = Depends(desk_post)) -> Response:
    """An uploaded file: its dry run. The dry run's own form (the same bytes, in base64): the import."""
    signed, state = posted.signed, request.app.state.api
    upload = posted.form.get("file")
    page = {"sheet": None, "done": None, "encoded": "", "problem": None, "before": set(),
            "max_mb": MAX_FILE_BYTES // (1024 * 1024)}
    if isinstance(upload, UploadFile):
        data = await upload.read(MAX_FILE_BYTES + 1)
    else:
        try:
            data = base64.b64decode(posted.get("sheet"), validate=True)
        except (binascii.Error, ValueError):
            data = b""
    if len(data) > MAX_FILE_BYTES:
        return render(request, "desk_import.html", signed, status=413,
                      **{**page, "problem": signed.w["dk_too_large"].format(mb=page["max_mb"])})
    if not data:
        return render(request, "desk_import.html", signed, status=422, **{**page, "problem": signed.w["dk_no_file"]})
    sheet: Sheet = await dry_run(data, state.config.application, signed.name)
    page.update(sheet=sheet, rows=_shown(sheet, state.config.application, signed))
    if sheet.problem is not None:
        return render(request, "desk_import.html", signed, status=422, **{**page, "problem": sheet.problem})
    if isinstance(upload, UploadFile) or posted.get("action") != "import":
        before = await stored_before(sheet, state.read_model.pool)
        return render(request, "desk_import.html", signed, **{**page, "before": before,
                                                              "encoded": base64.b64encode(data).decode()})
    done = await import_rows(sheet, state.intake, state.metrics)
    tally = {outcome: sum(1 for d in done if d.outcome == outcome)
             for outcome in ("stored", "already stored", "refused", "not stored")}
    outcomes = {d.row.number: d for d in done}
    return render(request, "desk_import.html", signed, **{**page, "done": tally, "outcomes": outcomes})


def say(problem: Problem, signed: Signed) -> str:
    """A row's problem in the page's language: the sheet's own problems have words of their own,
    the domain's rules (a time in the future, a count out of range) are said again in the page's words."""
    if problem.error is not None:
        return spoken(problem.error, signed.lang)
    if problem.code is None:
        return problem.message
    return signed.w[f"dk_p_{problem.code}"].format(**problem.parts)


def _shown(sheet: Sheet, application: Svodka, signed: Signed) -> list[dict[str, Any]]:
    """The dry run's table: what each row would store, in the page's language, or what is wrong."""
    lang = signed.lang
    shown = []
    for row in sheet.rows:
        item: dict[str, Any] = {"number": row.number, "cells": row.cells,
                                "problems": [(p.column, say(p, signed)) for p in row.problems]}
        if row.report is not None and row.facts is not None:
            facts = row.facts
            item.update(kind=facts.kind.value, detained=facts.detained,
                        place=place_name(application.gazetteer, facts.place.region, facts.place.city, lang),
                        local=local_time(application.gazetteer, facts.occurred_at, facts.place.region),
                        day=facts.local_day, description=row.report.description or "")
        shown.append(item)
    return shown


# -- my reports -----------------------------------------------------------------------------------


@router.get(f"{DESK}/mine", response_class=HTMLResponse)
async def mine(request: Request, signed: Signed = Depends(console_session("operator"))) -> HTMLResponse:
    """The operator's own reports, a page at a time; "older" carries where this page ended."""
    application = _application(request)
    before = _cursor(request.query_params.get("before"), signed)
    async with request.app.state.api.read_model.pool.acquire() as conn:
        sent, total = (await triage.sent_on(conn, operator_channel(signed.name), limit=MINE_PAGE + 1, before=before)
                       if await schema.exists(conn) else ([], 0))
    older = None
    if len(sent) > MINE_PAGE:
        sent, last = sent[:MINE_PAGE], sent[MINE_PAGE - 1]
        older = f"{DESK}/mine?{urlencode({'before': f'{last.submitted_at.isoformat()}_{last.id}'})}"
    rows = [{"r": r, "place": place_name(application.gazetteer, r.region, r.city, signed.lang),
             "city": city_name(application.gazetteer, r.city, signed.lang),
             "local": local_time(application.gazetteer, r.occurred_at, r.region)} for r in sent]
    return render(request, "desk_mine.html", signed, rows=rows, total=total, limit=MINE_PAGE, older=older,
                  paged=before is not None, notice=request.query_params.get("retracted"))


def _cursor(given: str | None, signed: Signed) -> tuple[datetime, UUID] | None:
    """`before=`: the submitted time and id of the last report on the page before."""
    if given is None:
        return None
    at, _, rid = given.rpartition("_")
    try:
        when = datetime.fromisoformat(at)
        if when.tzinfo is None:
            raise ValueError(at)
        return when, UUID(rid)
    except ValueError:
        raise Refused(422, signed.w["bad_address"], signed.lang) from None


@router.post(f"{DESK}/reports/{{rid}}/retract")
async def retract(request: Request, rid: UUID, posted: Posted = Depends(desk_post)) -> Response:
    """As POST /v1/reports/{id}/retract: only the operator who sent it, with a reason."""
    signed, application = posted.signed, _application(request)
    reason = posted.get("reason")
    if not reason or len(reason) > 1_000:
        raise Refused(422, signed.w["dk_reason_needed"], signed.lang)
    channel = operator_channel(signed.name)

    def run() -> int:
        application.sent_by(rid, channel)
        return application.retract(rid, by=channel, reason=reason)

    try:
        version = await run_in_threadpool(run)
    except ReportNotFound:
        raise Refused(404, signed.w["dk_not_found"], signed.lang) from None
    except DomainError as error:
        raise Refused(409, spoken(error, signed.lang), signed.lang) from None
    await folded(request, rid, version)  # so "my reports" shows it retracted
    return see_other(f"{DESK}/mine?retracted={rid}")
