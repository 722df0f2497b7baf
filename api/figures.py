"""What public figures share: the filter they are asked with, and how each says what it counts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import Query, Request
from pydantic import BaseModel, Field

from api.params import IsoDay, IsoInstant

from domain.errors import InvalidReport
from projections.queries import DIMENSIONS, AsOf, Totals

KindName = Literal["detention", "checkpoint"]

# Published beside every figure, so a number is never read without its definition.
# How decisions move a figure, the same for both kinds (the auditor's fold applies the same rules).
DECISIONS = (
    " A report counts while unreviewed (as unverified) or verified. Rejected, retracted and duplicate "
    "reports and reports from blocked reporters are not counted (a block counts from the moment it is "
    "recorded, for every report of the pseudonym, and an unblock restores them). Each group of duplicates "
    "counts once, through its root, exactly when the root counts. A reopened decision returns the report to "
    "unreviewed, so it counts as unverified again; a correction moves the report's contribution to its new "
    "day, place and count; beyond 10 reports an hour from one reporter, reports count only once verified."
)
MEANING = {
    "detention": (
        "detentions",
        "verified and unverified are detentions (people detained, summed over reports; not unique "
        "people); reports counts the reports behind them." + DECISIONS,
    ),
    "checkpoint": (
        "reports",
        "verified and unverified are checkpoint reports (whether active now or not: /v1/checkpoints lists "
        "those active)." + DECISIONS,
    ),
}


class AsOfOut(BaseModel):
    position: int = Field(description="The last event-log position folded into these figures.")
    recorded_at: datetime | None = Field(description="When that event was recorded.")

    @classmethod
    def of(cls, as_of: AsOf) -> AsOfOut:
        return cls(position=as_of.position, recorded_at=as_of.recorded_at)


class CountsOut(BaseModel):
    verified: int
    unverified: int
    reports: int

    @classmethod
    def of(cls, totals: Totals) -> CountsOut:
        return cls(verified=totals.verified, unverified=totals.unverified, reports=totals.reports)


@dataclass(frozen=True, slots=True)
class Filter:
    kind: KindName
    date_from: date | None
    date_to: date | None
    region: str | None  # ISO 3166-2 code, as the gazetteer spells it
    city: str | None  # the city's English name, as the read model keys it
    at: datetime | None

    def key(self) -> str:
        """The normalised query: equal filters give equal keys whatever the spelling asked."""
        at = self.at.isoformat() if self.at else ""
        return f"{self.kind}|{self.date_from or ''}|{self.date_to or ''}|{self.region or ''}|{self.city or ''}|{at}"


async def figures_filter(
    request: Request,
    kind: KindName = "detention",
    date_from: Annotated[IsoDay | None, Query(alias="from", description="First local day, inclusive.")] = None,
    date_to: Annotated[IsoDay | None, Query(alias="to", description="Last local day, inclusive.")] = None,
    region: Annotated[str | None, Query(max_length=16, description="ISO 3166-2 code, e.g. RU-MOW.")] = None,
    city: Annotated[str | None, Query(max_length=100, description="City name, Russian or English.")] = None,
    as_of: Annotated[
        IsoInstant | None, Query(description="Answer as known at this instant (ISO 8601 with offset).")
    ] = None,
) -> Filter:
    if date_from and date_to and date_from > date_to:
        raise InvalidReport("'from' must not be after 'to'.", code="from_after_to", field="from")
    if region is not None or city is not None:
        place = request.app.state.api.config.application.gazetteer.resolve(region=region, city=city)
        # A city implies its region; asking by region alone must not narrow to a city.
        region, city = place.region, place.city
    return Filter(kind, date_from, date_to, region, city, as_of)  # as_of is in UTC: one cache entry


def group_dimensions(group_by: str | None) -> tuple[str, ...]:
    if not group_by:
        return ()
    dims: list[str] = []
    for part in group_by.split(","):
        name = part.strip()
        if name not in DIMENSIONS:
            raise InvalidReport(
                f"group_by takes {', '.join(DIMENSIONS)} or a comma list of them, not {name!r}.",
                code="group_by", field="group_by",
            )
        if name not in dims:
            dims.append(name)
    return tuple(dims)
