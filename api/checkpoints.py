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
    lat: float = Field(description="Snapped to a grid of about 1.1 km; never the reported point.")
    lon: float
    reported_at: datetime
    last_confirmed_at: datetime
    expires_at: datetime
    confirmations: int
    status: str = Field(description="verified or unverified")


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
    active_at: Annotated[IsoInstant | None, Query(description="ISO 8601 instant with offset; default now.")] = None,
    region: Annotated[str | None, Query(max_length=16, description="ISO 3166-2 code.")] = None,
) -> Response:
    """Checkpoint reports submitted by then, not cleared and not yet expired."""
    at = (active_at or _now_step()).astimezone(timezone.utc)
    code = application.gazetteer.region(region).code if region is not None else None

    async def render() -> tuple[AsOf, bytes]:
        async with state.read_model.snapshot() as conn:
            as_of = await queries.as_of(conn)
            # Before the projector's first start there is no read model, and so nothing active.
            found = await queries.active_checkpoints(
                conn, at=at, region=code, ttl=state.config.checkpoint_ttl
            ) if await schema.exists(conn) else []
        out = CheckpointsOut(
            as_of=AsOfOut.of(as_of), active_at=at, precision_km=PRECISION_KM,
            counts="checkpoint reports active at active_at: reported by then, not cleared, not expired, "
            "not rejected, retracted or duplicate",
            checkpoints=[CheckpointOut(**{f: getattr(c, f) for f in CheckpointOut.model_fields}) for c in found],
        )
        return as_of, out.model_dump_json().encode()

    key = f"checkpoints|{at.isoformat()}|{code or ''}"
    # Without active_at the answer follows the clock: the same URL must be routed again.
    return await state.cache.serve(request, key, "application/json", render, by_url=active_at is not None)
