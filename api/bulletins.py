"""GET /v1/bulletins and /v1/bulletins/{id}: what svodka said at each scheduled time, in both languages."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from api.deps import Application, State
from api.errors import ERROR_RESPONSES, ApiError
from api.figures import AsOfOut
from domain.bulletin_text import LANGUAGES, render
from domain.places import Gazetteer
from projections import bulletins as kept
from projections.bulletins import KeptBulletin

router = APIRouter(tags=["public"])


class BulletinOut(BaseModel):
    id: UUID
    position: int = Field(description="Where the bulletin itself is recorded in the event log.")
    slot: datetime = Field(description="The scheduled time it was published for.")
    published_at: datetime
    late: bool = Field(description="Published more than a few minutes after its time (svodka was down).")
    as_of: AsOfOut = Field(description="The log position its figures are as of: GET /v1/stats?as_of= recomputes them.")
    figures: dict[str, Any] = Field(
        description="day (local, in zone): detentions verified/unverified/reports, top cities then "
        "others, change since the previous bulletin of the same day (null for the first), active "
        "checkpoints per region at checkpoints_at, dashboard link for this as_of."
    )
    previous: UUID | None
    text: dict[str, str] = Field(description="The bulletin as posted, in Russian (ru) and English (en).")

    @classmethod
    def of(cls, bulletin: KeptBulletin, gazetteer: Gazetteer) -> BulletinOut:
        texts = {
            lang: render(
                bulletin.figures, slot=bulletin.slot, late=bulletin.late, as_of_position=bulletin.as_of.position,
                as_of_recorded_at=bulletin.as_of.recorded_at, lang=lang, gazetteer=gazetteer,
            )
            for lang in LANGUAGES
        }  # fmt: skip
        return cls(
            id=bulletin.id, position=bulletin.position, slot=bulletin.slot, published_at=bulletin.composed_at,
            late=bulletin.late, as_of=AsOfOut.of(bulletin.as_of), figures=bulletin.figures,
            previous=bulletin.previous, text=texts,
        )  # fmt: skip


class BulletinsOut(BaseModel):
    bulletins: list[BulletinOut]
    next_before: int | None = Field(description="Pass as `before` for older ones; null at the first.")


@router.get("/v1/bulletins", response_model=BulletinsOut, responses=ERROR_RESPONSES)
async def list_bulletins(
    state: State,
    application: Application,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    before: Annotated[int | None, Query(ge=1, description="Only bulletins recorded before this log position.")] = None,
) -> BulletinsOut:
    """The bulletins, newest first."""
    async with state.read_model.pool.acquire() as conn:
        found = await kept.bulletins(conn, limit=limit, before=before)
    return BulletinsOut(
        bulletins=[BulletinOut.of(b, application.gazetteer) for b in found],
        next_before=found[-1].position if len(found) == limit else None,
    )


@router.get("/v1/bulletins/{id}", response_model=BulletinOut, responses=ERROR_RESPONSES)
async def one_bulletin(
    state: State, application: Application, bid: Annotated[UUID, Path(alias="id")]
) -> BulletinOut:
    """One bulletin."""
    async with state.read_model.pool.acquire() as conn:
        found = await kept.bulletin(conn, bid)
    if found is None:
        raise ApiError(404, f"There is no bulletin {bid}.", field="id")
    return BulletinOut.of(found, application.gazetteer)
