"""GET /v1/stats: counts by day, region and city, verified and unverified side by side."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field

from api.deps import FiguresFilter, State
from api.errors import ERROR_RESPONSES
from api.figures import MEANING, AsOfOut, CountsOut, Filter, KindName, group_dimensions
from api.methodology.cite import cite
from projections import queries
from projections.queries import AsOf, Stats

router = APIRouter(tags=["public"])


class GroupOut(BaseModel):
    # The key first: it is what a reader looks for in each group.
    key: str | dict[str, str | None] | None = Field(
        description="Region code, city name or local day YYYY-MM-DD; an object with one field per "
        "dimension when grouped by several."
    )
    verified: int
    unverified: int
    reports: int


class StatsOut(BaseModel):
    as_of: AsOfOut
    kind: KindName
    unit: str = Field(description="What verified and unverified count: detentions or reports.")
    counts: str = Field(description="The definition of the figures.")
    cite: str = Field(description="A ready citation of these figures, with their as-of position and Moscow time; "
                      "how to cite and what each figure means: /methodology.")
    group_by: list[str]
    total: CountsOut
    groups: list[GroupOut]


def _value(key: dict[str, str], dimension: str) -> str | None:
    # The read model spells "no city" (a region-level report) as ""; the API says null.
    return key.get(dimension) or None


def render_stats(stats: Stats, kind: str, dims: tuple[str, ...], citation: str) -> bytes:
    unit, meaning = MEANING[kind]
    groups = [
        GroupOut(
            key=(_value(g.key, dims[0]) if len(dims) == 1 else {d: _value(g.key, d) for d in dims}),
            **CountsOut.of(g.totals).model_dump(),
        )
        for g in stats.groups
    ]
    out = StatsOut(
        as_of=AsOfOut.of(stats.as_of), kind=kind, unit=unit, counts=meaning, cite=citation, group_by=list(dims),
        total=CountsOut.of(stats.total), groups=groups,
    )
    return out.model_dump_json().encode()


@router.get("/v1/stats", response_model=StatsOut, responses=ERROR_RESPONSES)
async def stats(
    request: Request,
    state: State,
    figures: FiguresFilter,
    group_by: Annotated[str | None, Query(max_length=40, description="day, region, city or a comma list.")] = None,
) -> Response:
    """Counts for one kind, optionally per day, region and/or city, as of a projection position."""
    dims = group_dimensions(group_by)

    async def render() -> tuple[AsOf, bytes]:
        current, result = await query_stats(state, figures, dims)
        citation = cite(figures, result.as_of, state.config.application.gazetteer)
        return current, render_stats(result, figures.kind, dims, citation)

    return await state.cache.serve(request, f"stats|{figures.key()}|{','.join(dims)}", "application/json", render)


async def query_stats(state: State, figures: Filter, dims: tuple[str, ...]) -> tuple[AsOf, Stats]:
    """The figures, and the projection's position in the same snapshot: the cache key.

    For an `as_of` question the figures' own position is older; keying by the current one
    lets the answer be reused until the projection moves.
    """
    async with state.read_model.snapshot() as conn:
        current = await queries.as_of(conn)
        return current, await queries.stats(
            conn, kind=figures.kind, date_from=figures.date_from, date_to=figures.date_to,
            region=figures.region, city=figures.city, group_by=dims, at=figures.at,
        )
