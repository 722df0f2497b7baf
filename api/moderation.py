"""Moderation decisions: verify / reject / duplicate a report, block or forget a reporter.

Each decision names its moderator (from the token) and is made against the version the
moderator saw (If-Match or `version`), so two moderators never silently overwrite each other.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Header, Path
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from api.auth import Principal
from api.review import ReportId
from api.deps import Application, Moderator
from api.errors import ERROR_RESPONSES, ApiError
from domain.application import Svodka
from domain.reporter import REFERENCE_PATTERN

router = APIRouter(tags=["moderation"], responses=ERROR_RESPONSES)


class Decision(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: int | None = Field(None, ge=1, description="The version decided on, if not sent as If-Match.")


class VerifyIn(Decision):
    note: str | None = Field(None, max_length=1_000)


class RejectIn(Decision):
    reason: str = Field(min_length=1, max_length=1_000)


class DuplicateIn(Decision):
    of: UUID
    reason: str | None = Field(None, max_length=1_000)


class BlockIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=1_000)


class ForgetOut(BaseModel):
    pseudonym: str
    forgotten: bool
    decided_by: str


class DecisionOut(BaseModel):
    id: UUID
    version: int
    status: str
    decided_by: str


class BlockOut(BaseModel):
    pseudonym: str
    blocked: bool
    decided_by: str


IfMatch = Annotated[str | None, Header(alias="If-Match", max_length=40, description='The version seen, e.g. "3".')]


def expected_version(if_match: str | None, body: Decision) -> int | None:
    if if_match is None:
        return body.version
    raw = if_match.strip().removeprefix("W/").strip('"')
    if not raw.isdigit() or int(raw) < 1:
        raise ApiError(422, 'If-Match must be the report version you saw, e.g. "3".', field="If-Match")
    if body.version is not None and body.version != int(raw):
        raise ApiError(422, "If-Match and version disagree; send one.", field="version")
    return int(raw)


async def _decide(application: Svodka, rid: UUID, moderator: Principal, change: Callable[[], int]) -> DecisionOut:
    def run() -> DecisionOut:
        version = change()
        return DecisionOut(id=rid, version=version, status=application.report(rid).status.value,
                           decided_by=moderator.name)

    return await run_in_threadpool(run)


@router.post("/v1/reports/{id}/verify", response_model=DecisionOut)
async def verify(rid: ReportId, body: VerifyIn, by: Moderator, app: Application, if_match: IfMatch = None) -> DecisionOut:
    seen = expected_version(if_match, body)
    return await _decide(app, rid, by, lambda: app.verify(rid, moderator=by.name, note=body.note, expected_version=seen))


@router.post("/v1/reports/{id}/reject", response_model=DecisionOut)
async def reject(rid: ReportId, body: RejectIn, by: Moderator, app: Application, if_match: IfMatch = None) -> DecisionOut:
    seen = expected_version(if_match, body)
    return await _decide(app, rid, by, lambda: app.reject(rid, moderator=by.name, reason=body.reason,
                                                          expected_version=seen))


@router.post("/v1/reports/{id}/duplicate", response_model=DecisionOut)
async def duplicate(rid: ReportId, body: DuplicateIn, by: Moderator, app: Application,
                    if_match: IfMatch = None) -> DecisionOut:
    seen = expected_version(if_match, body)
    return await _decide(app, rid, by, lambda: app.mark_duplicate(rid, of=body.of, moderator=by.name,
                                                                  reason=body.reason, expected_version=seen))


ReporterRef = Annotated[
    str, Path(pattern=REFERENCE_PATTERN, description="The reporter's reference, as `reporter` on their reports.")
]


@router.post("/v1/reporters/{pseudonym}/block", response_model=BlockOut)
async def block(
    pseudonym: ReporterRef,
    body: BlockIn,
    moderator: Moderator,
    application: Application,
) -> BlockOut:
    """Block a reporter pseudonym: its reports stop counting, past and future."""
    await run_in_threadpool(application.block_reporter, pseudonym, moderator=moderator.name, reason=body.reason)
    return BlockOut(pseudonym=pseudonym, blocked=True, decided_by=moderator.name)


@router.post("/v1/reporters/{pseudonym}/forget", response_model=ForgetOut)
async def forget(
    pseudonym: ReporterRef,
    moderator: Moderator,
    application: Application,
) -> ForgetOut:
    """Erase a reporter's personal data on their request (crypto-shredding); their counts stay.

    For reporters who ask through the hotline rather than the bot's /forget. The event records
    the moderator's name and nothing about the request, which would itself be personal data.
    """
    await run_in_threadpool(application.forget_reference, pseudonym, by=f"moderator:{moderator.name}")
    return ForgetOut(pseudonym=pseudonym, forgotten=True, decided_by=moderator.name)
