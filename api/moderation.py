"""Moderation decisions: verify / reject / duplicate / reopen / correct / clear a report, block
or forget a reporter.

Each decision names its moderator (from the token) and must name the version the moderator saw
(If-Match or `version`; without it, 428), so two moderators never silently overwrite each other.
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Header, Path
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from api.auth import Principal
from api.review import ReportId
from api import decisions
from api.decisions import Action, Facts, Outcome, decide
from api.deps import Application, Moderator
from api.errors import ERROR_RESPONSES, ApiError, ErrorBody
from domain.application import Svodka
from domain.reporter import REFERENCE_PATTERN

router = APIRouter(tags=["moderation"], responses=ERROR_RESPONSES)
# A decision without the version it was made on: refused, not applied to whatever is there now.
DECISION_RESPONSES: dict[int | str, dict] = {428: {"model": ErrorBody, "description": "If-Match is missing."}}


class Decision(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: int | None = Field(None, ge=1, description="The version decided on, if not sent as If-Match.")


class VerifyIn(Decision):
    note: str | None = Field(None, max_length=1_000)


class RejectIn(Decision):
    reason: str = Field(min_length=1, max_length=1_000)


class DuplicateIn(Decision):
    of: UUID
    reason: str | None = Field(None, max_length=1_000, description=(
        "Why; required to link reports from different regions or more than a day apart."))


class ReopenIn(Decision):
    reason: str = Field(min_length=1, max_length=1_000)


class CorrectIn(Decision):
    """The countable facts to change; what is left out keeps its value."""

    reason: str = Field(min_length=1, max_length=1_000)
    detained: int | None = Field(None, ge=1, le=10_000)
    region: str | None = Field(None, max_length=16, description="ISO 3166-2 code.")
    city: str | None = Field(None, max_length=100)
    occurred_at: AwareDatetime | None = None


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


class DuplicateOut(DecisionOut):
    of: UUID = Field(description="The group's root this report now points at.")
    repointed_from: UUID | None = Field(
        description="The report asked for, when it was itself a duplicate and the link went to its root.")
    moved: list[UUID] = Field(description="This report's own duplicates, re-pointed to the same root with it.")
    note: str | None = None


class BlockOut(BaseModel):
    pseudonym: str
    blocked: bool
    decided_by: str


IfMatch = Annotated[str | None, Header(alias="If-Match", max_length=40, description='The version seen, e.g. "3".')]


def expected_version(if_match: str | None, body: Decision) -> int:
    if if_match is None:
        if body.version is None:
            raise ApiError(428, 'Send the report version you decided on as If-Match: "3" (or "version": 3); '
                           "GET /v1/reports/{id} shows it.", field="If-Match")
        return body.version
    raw = if_match.strip().removeprefix("W/").strip('"')
    if not raw.isdigit() or int(raw) < 1:
        raise ApiError(422, 'If-Match must be the report version you saw, e.g. "3".', field="If-Match")
    if body.version is not None and body.version != int(raw):
        raise ApiError(422, "If-Match and version disagree; send one.", field="version")
    return int(raw)


async def _decide(application: Svodka, rid: UUID, by: Principal, action: Action, seen: int,
                  facts: Facts = Facts()) -> Outcome:
    return await run_in_threadpool(lambda: decide(application, rid, action, by=by.name, seen=seen, facts=facts))


def _out(outcome: Outcome) -> DecisionOut:
    return DecisionOut(id=outcome.id, version=outcome.version, status=outcome.status, decided_by=outcome.decided_by)


@router.post("/v1/reports/{id}/verify", response_model=DecisionOut, responses=DECISION_RESPONSES)
async def verify(rid: ReportId, body: VerifyIn, by: Moderator, app: Application, if_match: IfMatch = None) -> DecisionOut:
    seen = expected_version(if_match, body)
    return _out(await _decide(app, rid, by, "verify", seen, Facts(note=body.note)))


@router.post("/v1/reports/{id}/reject", response_model=DecisionOut, responses=DECISION_RESPONSES)
async def reject(rid: ReportId, body: RejectIn, by: Moderator, app: Application, if_match: IfMatch = None) -> DecisionOut:
    """Refused (409, naming them) while other reports are marked as duplicates of this one."""
    seen = expected_version(if_match, body)
    return _out(await _decide(app, rid, by, "reject", seen, Facts(reason=body.reason)))


@router.post("/v1/reports/{id}/duplicate", response_model=DuplicateOut, responses=DECISION_RESPONSES)
async def duplicate(rid: ReportId, body: DuplicateIn, by: Moderator, app: Application,
                    if_match: IfMatch = None) -> DuplicateOut:
    """Mark as a duplicate of `of`'s group, or re-point a duplicate. The link always goes to the
    group's root; this report's own duplicates follow it. `of` must be of the same kind, not
    rejected or retracted, and (without a `reason`) in the same region within a day."""
    seen = expected_version(if_match, body)
    outcome = await _decide(app, rid, by, "duplicate", seen, Facts(of=body.of, reason=body.reason))
    linked = outcome.linked
    assert linked is not None
    moved = f"; its duplicates {', '.join(map(str, linked.moved))} moved with it" if linked.moved else ""
    note = (f"{body.of} is itself a duplicate: linked to its root {linked.of}" if linked.of != body.of else None)
    if note or moved:
        note = ((note or f"linked to {linked.of}") + moved).strip("; ")
    return DuplicateOut(id=rid, version=linked.version, status="duplicate", decided_by=by.name, of=linked.of,
                        repointed_from=body.of if linked.of != body.of else None, moved=list(linked.moved),
                        note=note)


@router.post("/v1/reports/{id}/reopen", response_model=DecisionOut, responses=DECISION_RESPONSES)
async def reopen(rid: ReportId, body: ReopenIn, by: Moderator, app: Application, if_match: IfMatch = None) -> DecisionOut:
    """Return a verified, rejected or duplicate report to unreviewed, to be decided again (it
    counts as unverified meanwhile). Un-verifying is reopening a verified report."""
    seen = expected_version(if_match, body)
    return _out(await _decide(app, rid, by, "reopen", seen, Facts(reason=body.reason)))


@router.post("/v1/reports/{id}/correct", response_model=DecisionOut, responses=DECISION_RESPONSES)
async def correct(rid: ReportId, body: CorrectIn, by: Moderator, app: Application, if_match: IfMatch = None) -> DecisionOut:
    """Change the countable facts (count, place, time), with a reason; the figures follow."""
    seen = expected_version(if_match, body)
    return _out(await _decide(app, rid, by, "correct", seen, Facts(
        reason=body.reason, detained=body.detained, region=body.region, city=body.city, occurred_at=body.occurred_at)))


@router.post("/v1/reports/{id}/clear", response_model=DecisionOut, responses=DECISION_RESPONSES)
async def clear(rid: ReportId, body: Decision, by: Moderator, app: Application, if_match: IfMatch = None) -> DecisionOut:
    """A moderator says a checkpoint is gone: it ends now, whatever the votes."""
    seen = expected_version(if_match, body)
    return _out(await _decide(app, rid, by, "clear", seen))


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
    await run_in_threadpool(lambda: decisions.block(application, pseudonym, by=moderator.name, reason=body.reason))
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
    await run_in_threadpool(lambda: decisions.forget(application, pseudonym, by=moderator.name))
    return ForgetOut(pseudonym=pseudonym, forgotten=True, decided_by=moderator.name)
