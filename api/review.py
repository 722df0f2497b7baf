"""What moderators read: the queue, one report with its decisions, and flood signals; what
operators read and withdraw: the reports they sent themselves.

Personal fields (free text, the precise point) are decrypted here on demand, for moderators
only; no public route imports this module.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from api.auth import CHALLENGE, Principal
from api.deps import Application, Credentials, Moderator, State
from api.errors import ERROR_RESPONSES, ApiError
from api.gate import PRINCIPAL
from api.params import IsoInstant
from domain.application import ERASED, Svodka
from domain.report import Report
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
    at: datetime = Field(description="When the change was recorded.")
    by: str | None = Field(description="The moderator, the sending channel, or \"reporter\".")
    action: str = Field(description="submitted, verified, rejected, duplicate, repointed, reopened, corrected, "
                                    "retracted, still there, gone, duplicate attached, duplicate detached")
    why: str | None
    of: UUID | None = Field(None, description="The other report of a duplicate link.")


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
    duplicate_of: UUID | None = Field(description="The root of the group this duplicate belongs to.")
    duplicates: list[UUID] = Field(description="Reports marked as duplicates of this one (its group).")
    decisions: list[DecisionRecord] = Field(description="Every change: when, who, what and why, oldest first.")
    personal: Personal | None = Field(description="Moderators only; null for the operator who sent it.")


class RetractIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=1_000)


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


async def reader(request: Request, state: State, credentials: Credentials) -> Principal:
    """A moderator, or an operator (who then sees only the reports it sent); the gate
    (api/gate.py) has already identified the token, an app built without it does it here."""
    token = credentials.credentials if credentials else None
    principal = getattr(request.state, PRINCIPAL, None) or state.tokens.identify(token)
    if principal is None:
        message = "A bearer token is required." if not token else "This token is not valid."
        raise ApiError(401, message, field="Authorization", headers=CHALLENGE)
    return principal


Reader = Annotated[Principal, Depends(reader)]


def report_out(application: Svodka, found: Report, with_personal: bool) -> ReportOut:
    rid = found.id
    return ReportOut(
        id=rid, version=found.version, status=found.status.value, kind=found.kind.value,
        region=found.region, city=found.city, local_day=date.fromisoformat(found.local_day),
        occurred_at=found.occurred_at, detained=found.detained, channel=found.channel,
        reporter=found.reporter, duplicate_of=found.duplicate_of, duplicates=sorted(found.duplicates),
        decisions=[DecisionRecord(at=h.at, by=h.by, action=h.action, why=h.why, of=h.of)
                   for h in application.history(rid)],
        personal=personal(application, rid) if with_personal else None,
    )


def visible(application: Svodka, rid: UUID, who: Principal) -> Report:
    """Moderators see every report; an operator only its own (another's is "not found")."""
    if who.role == "moderator":
        return application.report(rid)
    return application.sent_by(rid, f"operator:{who.name}")


@router.get("/v1/reports/{id}", response_model=ReportOut)
async def report(rid: ReportId, who: Reader, application: Application) -> ReportOut:
    """One report as the event store has it now, with every change to it. Operators may read the
    reports they sent (status and facts); any other is 404 to them."""
    return await run_in_threadpool(
        lambda: report_out(application, visible(application, rid, who), who.role == "moderator")
    )


@router.post("/v1/reports/{id}/retract", response_model=ReportOut)
async def retract(rid: ReportId, body: RetractIn, who: Reader, application: Application) -> ReportOut:
    """The operator who sent a report withdraws it, with a reason; it stops counting."""
    if who.role != "operator":
        raise ApiError(403, "Only the operator who sent a report can retract it; a moderator rejects or "
                       "reopens it instead.", field="Authorization")

    def run() -> ReportOut:
        channel = f"operator:{who.name}"
        application.sent_by(rid, channel)
        application.retract(rid, by=channel, reason=body.reason)
        return report_out(application, application.report(rid), False)

    return await run_in_threadpool(run)


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
