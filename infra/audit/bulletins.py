"""The auditor's check of each bulletin: its figures equal the log's as of the position it names.

Like the rest of the verifier it uses only the export and the auditor's own fold. It checks the
day's detentions (total, each city named, the others), that no city left among the others had
more than one named, and the change since the previous bulletin of the same day. Checkpoints are
not recomputed: the auditor's fold does not follow them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from infra.audit.fold import Figures

ZERO = (0, 0, 0)  # verified, unverified, reports


class BulletinDiverged(ValueError):
    """A bulletin's figure that the log does not give; the message says which."""


def check_bulletin(
    day_figures: Callable[[int, str], Figures], position: int, facts: dict[str, Any], previous: dict[str, Any] | None
) -> None:
    """`day_figures(as_of, day)`: the fold's detention groups of that day at that position."""
    as_of, figures = facts["as_of_position"], facts["figures"]
    if not 0 <= as_of < position:
        raise BulletinDiverged(f"the bulletin claims figures as of {as_of}, not before itself")
    day = figures["day"]
    total, cities = list(ZERO), {}
    for key, counts in day_figures(as_of, day).items():
        if key and key[0] == day:
            total = [a + b for a, b in zip(total, counts, strict=True)]
            if key[2]:
                cities[key[2]] = tuple(a + b for a, b in zip(cities.get(key[2], ZERO), counts, strict=True))
    _same("the day's detentions", figures["detentions"], tuple(total))
    named = [city["city"] for city in figures["cities"]]
    for city in figures["cities"]:
        _same(f"{city['city']}'s detentions", city, cities.get(city["city"], ZERO))
    rest = [t - sum(cities.get(c, ZERO)[i] for c in named) for i, t in enumerate(total)]
    _same("the others' detentions", figures["others"], tuple(rest))
    if named:
        least = min(cities.get(c, ZERO)[0] + cities.get(c, ZERO)[1] for c in named)
        for city, counts in cities.items():
            if city not in named and counts[0] + counts[1] > least:
                raise BulletinDiverged(f"{city} had more detentions than a city the bulletin named, but was left out")
    change = figures.get("change")
    if previous is not None and previous["day"] == day:
        expected = tuple(figures["detentions"][k] - previous["detentions"][k] for k in ("verified", "unverified", "reports"))
        if change is None:
            raise BulletinDiverged("the bulletin gives no change though the previous one was of the same day")
        _same("the change since the previous bulletin", change, expected)
    elif change is not None:
        raise BulletinDiverged("the bulletin gives a change but no earlier bulletin of its day is in the log")


def _same(what: str, published: dict[str, int], recomputed: tuple[int, int, int]) -> None:
    theirs = (published["verified"], published["unverified"], published["reports"])
    if theirs != recomputed:
        raise BulletinDiverged(
            f"{what}: published {theirs}, recomputed {recomputed} (verified, unverified, reports)"
        )
