"""What moderators read: the queue, one report with its decisions, and flood signals.

Personal fields (free text, the precise point) are decrypted here on demand, for moderators
only; no public route imports this module.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from api.deps import Application, Moderator, State
from api.errors import ERROR_RESPONSES
from api.params import IsoInstant
from domain.application import ERASED, Svodka
from domain.reporter import REFERENCE_PATTERN
from projections import queries, schema

router = APIRouter(tags=["moderation"], responses=ERROR_RESPONSES)
ReportId = Annotated[UUID, Path(alias="id", description="The report's id.")]


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
    reporter: str | None = Field(description="The reporter's reference: random, never who they are.")
    reporter_blocked: bool
    reporter_reports_last_hour: int
    personal: Personal


class QueueOut(BaseModel):
    items: list[QueueItemOut]
    limit: int
    offset: int


class DecisionRecord(BaseModel):
    by: str
    action: str
    why: str | None


class ReportOut(BaseModel):
    id: UUID
    version: int
    status: str
    kind: str
    region: str
    city: str | None
    local_day: date
    occurred_at: datetime
    detained: int | None
    channel: str
    reporter: str | None
    duplicate_of: UUID | None
    decisions: list[DecisionRecord] = Field(description="Who decided what, and why, oldest first.")
    personal: Personal


class SignalOut(BaseModel):
    reporter: str
    hour: datetime
    submitted: int
    rejected: int
    reporter_blocked: bool


class SignalsOut(BaseModel):
    signals: list[SignalOut]


def personal(application: Svodka, rid: UUID) -> Personal:
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
    """Unreviewed reports, oldest first, with their decrypted personal fields."""
    async with state.read_model.pool.acquire() as conn:
        exists = await schema.exists(conn)
        items = await queries.moderation_queue(conn, limit=limit, offset=offset) if exists else []
    fields = await run_in_threadpool(lambda: [personal(application, i.id) for i in items])
    out = [
        QueueItemOut(personal=p, **{f: getattr(i, f) for f in QueueItemOut.model_fields if f != "personal"})
        for i, p in zip(items, fields, strict=True)
    ]
    return QueueOut(items=out, limit=limit, offset=offset)


@router.get("/v1/reports/{id}", response_model=ReportOut)
async def report(rid: ReportId, moderator: Moderator, application: Application) -> ReportOut:
    """One report as the event store has it now, with every decision on it."""
    def read() -> ReportOut:
        found = application.report(rid)
        return ReportOut(
            id=found.id, version=found.version, status=found.status.value, kind=found.kind.value,
            region=found.region, city=found.city, local_day=date.fromisoformat(found.local_day),
            occurred_at=found.occurred_at, detained=found.detained, channel=found.channel,
            reporter=found.reporter, duplicate_of=found.duplicate_of,
            decisions=[DecisionRecord(by=b, action=a, why=w) for b, a, w in found.decisions],
            personal=personal(application, rid),
        )

    return await run_in_threadpool(read)


@router.get("/v1/moderation/signals", response_model=SignalsOut)
async def signals(
    moderator: Moderator,
    state: State,
    since: Annotated[IsoInstant | None, Query(description="From this hour on (ISO 8601); default all.")] = None,
    reporter: Annotated[str | None, Query(pattern=REFERENCE_PATTERN, description="One reporter reference.")] = None,
    min_submitted: Annotated[int, Query(ge=1, le=1_000_000)] = 5,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> SignalsOut:
    """Reports per pseudonym and hour, busiest first: where a flood shows before it counts."""
    async with state.read_model.pool.acquire() as conn:
        found = await queries.abuse_signals(
            conn, since=since, reporter=reporter, min_submitted=min_submitted, limit=limit
        ) if await schema.exists(conn) else []
    return SignalsOut(signals=[SignalOut(reporter=s.reporter, hour=s.hour, submitted=s.submitted, rejected=s.rejected,
                                         reporter_blocked=s.reporter_blocked) for s in found])
