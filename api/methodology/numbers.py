"""The numbers the methodology states, taken from the constants the code itself uses."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from domain.model import CLOCK_SKEW, MAX_DETAINED, MIN_DETAINED
from domain.places import Gazetteer, coarse, distance_km
from projections.fold import FLOOD_LIMIT


@dataclass(frozen=True, slots=True)
class Numbers:
    flood_limit: int  # reports per pseudonym per clock hour that count before review
    min_detained: int
    max_detained: int
    clock_skew_minutes: int  # how far in the future a report's time may be
    checkpoint_ttl_minutes: int  # a checkpoint is active this long after its last sighting
    grid_km: float  # the published grid for checkpoint points, north to south
    regions: int
    cities: int
    time_zones: int


def numbers(gazetteer: Gazetteer, checkpoint_ttl: timedelta) -> Numbers:
    # The grid's step measured on the function that snaps points, so the page cannot drift from it.
    step = coarse(55.0104, 37.0)[0] - coarse(55.0, 37.0)[0]
    return Numbers(
        flood_limit=FLOOD_LIMIT,
        min_detained=MIN_DETAINED,
        max_detained=MAX_DETAINED,
        clock_skew_minutes=int(CLOCK_SKEW.total_seconds() // 60),
        checkpoint_ttl_minutes=int(checkpoint_ttl.total_seconds() // 60),
        grid_km=round(distance_km(55.0, 37.0, 55.0 + step, 37.0), 1),
        regions=len(gazetteer.regions),
        cities=len(gazetteer.cities),
        time_zones=len({r.timezone for r in gazetteer.regions}),
    )
