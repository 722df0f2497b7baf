"""GET /v1/checkpoints: checkpoints active at an instant, at about 1 km precision."""

from __future__ import annotations

import math
from datetime import datetime, timezone
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field

from api.deps import Application, State
from api.errors import ERROR_RESPONSES
from api.figures import AsOfOut
from api.params import IsoInstant
from projections import queries, schema
from projections.queries import AsOf

router = APIRouter(tags=["public"])
PRECISION_KM = 1.1
NOW_STEP_SECONDS = 10


class CheckpointOut(BaseModel):
    id: UUID
    region: str
    city: str | None
    lat: float | None = Field(description="Snapped to a grid of about 1.1 km; never the reported point. "
                                          "The city's centre when only a city was given; null for a region only.")
    lon: float | None
    seen_at: datetime | None = Field(description="When it was seen on the street (the report's occurred_at).")
    reported_at: datetime = Field(description="When svodka learnt of it.")
    last_confirmed_at: datetime = Field(description="The latest sighting or \"still there\" that kept it active.")
    expires_at: datetime
    confirmations: int = Field(description="\"Still there\" votes that kept it active, one per pseudonym.")
    status: str = Field(description="verified or unverified")


# The published definition: what a listed checkpoint is, on both time axes, and how votes move it.
DEFINITION = (
    "checkpoint reports active on the street at active_at, as svodka knew them at as_of (the event-log "
    "position in as_of): seen (occurred_at) by active_at; its latest sighting or \"still there\" less than "
    "the TTL ({ttl} min) before active_at, where a \"still there\" extends it only while it is still active, "
    "so a sighting already older than the TTL when reported is history, never active now; not cleared by a "
    "\"gone\" seen by active_at. Each pseudonym counts once for \"still there\" and once for \"gone\" per "
    "checkpoint; a \"gone\" ends a checkpoint when its own reporter sends it, when two distinct others have, "
    "or when a moderator clears it. Rejected, retracted and duplicate reports, reports of blocked pseudonyms "
    "and flood-held reports not yet verified are left out, each as known at as_of. Checkpoints given only "
    "a city are placed at its centre; given only a region, lat and lon are null."
)


class CheckpointsOut(BaseModel):
    as_of: AsOfOut
    active_at: datetime
    precision_km: float
    counts: str
    checkpoints: list[CheckpointOut]


def _now_step() -> datetime:
    """"Now", rounded up to the next step: a surge shares one rendered answer per step, and a
    checkpoint reported a second ago is already in it."""
    now = datetime.now(timezone.utc).timestamp()
    return datetime.fromtimestamp(math.ceil(now / NOW_STEP_SECONDS) * NOW_STEP_SECONDS, timezone.utc)


@router.get("/v1/checkpoints", response_model=CheckpointsOut, responses=ERROR_RESPONSES)
async def checkpoints(
    request: Request,
    state: State,
    application: Application,
    active_at: Annotated[IsoInstant | None, Query(description="ISO 8601 instant with offset: on the street at "
                                                            "this instant (valid time); default now.")] = None,
    as_of: Annotated[IsoInstant | None, Query(description="ISO 8601 instant with offset: as svodka knew it at "
                                                        "this instant (transaction time); default now.")] = None,
    region: Annotated[str | None, Query(max_length=16, description="ISO 3166-2 code.")] = None,
) -> Response:
    """Checkpoints active on the street at `active_at`, as known at `as_of` (see `counts`)."""
    at = (active_at or _now_step()).astimezone(timezone.utc)
    known = as_of.astimezone(timezone.utc) if as_of is not None else None
    code = application.gazetteer.region(region).code if region is not None else None
    ttl = state.config.checkpoint_ttl

    async def render() -> tuple[AsOf, bytes]:
        async with state.read_model.snapshot() as conn:
            # The cache keys by the current position; an as_of answer's own position is older.
            current = stamp = await queries.as_of(conn)
            found = []
            # Before the projector's first start there is no read model, and so nothing active.
            if await schema.exists(conn):
                answer = await queries.checkpoints_as_of(conn, at=at, region=code, ttl=ttl, as_of=known)
                stamp, found = answer.as_of, answer.checkpoints
        out = CheckpointsOut(
            as_of=AsOfOut.of(stamp), active_at=at, precision_km=PRECISION_KM,
            counts=DEFINITION.format(ttl=int(ttl.total_seconds() // 60)),
            checkpoints=[CheckpointOut(**{f: getattr(c, f) for f in CheckpointOut.model_fields}) for c in found],
        )
        return current, out.model_dump_json().encode()

    key = f"checkpoints|{at.isoformat()}|{known.isoformat() if known else ''}|{code or ''}"
    # Without active_at the answer follows the clock: the same URL must be routed again.
    return await state.cache.serve(request, key, "application/json", render, by_url=active_at is not None)
