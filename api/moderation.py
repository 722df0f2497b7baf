"""Moderation: the review queue, and verify / reject / duplicate / block decisions.

Each decision names its moderator (from the token) and is made against the version the
moderator saw (If-Match or `version`), so two moderators never silently overwrite each other.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Header, Path, Query
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from api.auth import Principal
from api.deps import Application, Moderator, State
from api.errors import ERROR_RESPONSES, ApiError
from domain.application import ERASED, Svodka
from projections import queries, schema

router = APIRouter(tags=["moderation"], responses=ERROR_RESPONSES)


class Personal(BaseModel):
    erased: bool = Field(description="true once the reporter asked to be forgotten")
    description: str | None = None
    lat: float | None = None
    lon: float | None = None


class QueueItemOut(BaseModel):
    id: UUID
    version: int = Field(description="Send it back as If-Match (or `version`) with a decision.")
    kind: str
    region: str
    city: str | None
    local_day: date
    occurred_at: datetime
    submitted_at: datetime
    detained: int | None
    channel: str
    reporter: str | None = Field(description="The reporter's pseudonym, never who they are.")
    reporter_blocked: bool
    reporter_reports_last_hour: int
    personal: Personal


class QueueOut(BaseModel):
    items: list[QueueItemOut]
    limit: int
    offset: int


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


class DecisionOut(BaseModel):
    id: UUID
    version: int
    status: str
    decided_by: str


class BlockOut(BaseModel):
    pseudonym: str
    blocked: bool
    decided_by: str


ReportId = Annotated[UUID, Path(alias="id", description="The report's id.")]
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


def _personal(application: Svodka, rid: UUID) -> Personal:
    fields: dict[str, Any] | str = application.personal_fields(rid)
    if fields == ERASED:
        return Personal(erased=True)
    assert isinstance(fields, dict)
    return Personal(erased=False, **{k: fields.get(k) for k in ("description", "lat", "lon")})


@router.get("/v1/moderation/queue", response_model=QueueOut)
async def queue(
    moderator: Moderator,
    state: State,
    application: Application,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> QueueOut:
    """Unreviewed reports, oldest first, with their decrypted personal fields (moderators only)."""
    async with state.read_model.pool.acquire() as conn:
        exists = await schema.exists(conn)
        items = await queries.moderation_queue(conn, limit=limit, offset=offset) if exists else []
    personal = await run_in_threadpool(lambda: [_personal(application, i.id) for i in items])
    out = [
        QueueItemOut(personal=p, **{f: getattr(i, f) for f in QueueItemOut.model_fields if f != "personal"})
        for i, p in zip(items, personal, strict=True)
    ]
    return QueueOut(items=out, limit=limit, offset=offset)


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


@router.post("/v1/reporters/{pseudonym}/block", response_model=BlockOut)
async def block(
    pseudonym: Annotated[str, Path(pattern=r"^[0-9a-f]{64}$", description="The reporter's pseudonym.")],
    body: BlockIn,
    moderator: Moderator,
    application: Application,
) -> BlockOut:
    """Block a reporter pseudonym: its reports stop counting, past and future."""
    await run_in_threadpool(application.block_reporter, pseudonym, moderator=moderator.name, reason=body.reason)
    return BlockOut(pseudonym=pseudonym, blocked=True, decided_by=moderator.name)
