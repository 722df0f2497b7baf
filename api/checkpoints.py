"""GET /v1/checkpoints: checkpoints active at an instant, at about 1 km precision."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response
from pydantic import AwareDatetime, BaseModel, Field

from api.deps import Application, State
from api.errors import ERROR_RESPONSES
from api.figures import AsOfOut
from projections import queries
from projections.queries import AsOf

router = APIRouter(tags=["public"])
PRECISION_KM = 1.1


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


@router.get("/v1/checkpoints", response_model=CheckpointsOut, responses=ERROR_RESPONSES)
async def checkpoints(
    request: Request,
    state: State,
    application: Application,
    active_at: Annotated[AwareDatetime | None, Query(description="Instant with offset; default now.")] = None,
    region: Annotated[str | None, Query(max_length=16, description="ISO 3166-2 code.")] = None,
) -> Response:
    """Checkpoint reports submitted by then, not cleared and not yet expired."""
    # "Now" is taken to the minute, so a surge shares one rendered answer per minute.
    at = (active_at or datetime.now(timezone.utc).replace(second=0, microsecond=0)).astimezone(timezone.utc)
    code = application.gazetteer.region(region).code if region is not None else None

    async def render() -> tuple[AsOf, bytes]:
        async with state.read_model.snapshot() as conn:
            as_of = await queries.as_of(conn)
            found = await queries.active_checkpoints(conn, at=at, region=code)
        out = CheckpointsOut(
            as_of=AsOfOut.of(as_of), active_at=at, precision_km=PRECISION_KM,
            counts="checkpoint reports active at active_at: reported by then, not cleared, not expired, "
            "not rejected, retracted or duplicate",
            checkpoints=[CheckpointOut(**{f: getattr(c, f) for f in CheckpointOut.model_fields}) for c in found],
        )
        return as_of, out.model_dump_json().encode()

    return await state.cache.serve(request, f"checkpoints|{at.isoformat()}|{code or ''}", "application/json", render)
