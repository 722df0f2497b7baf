"""The Bulletin aggregate and its schedule: what svodka said at a scheduled time, kept in the log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from uuid import UUID, uuid5
from zoneinfo import ZoneInfo

from eventsourcing.domain import Aggregate, event

from domain.report import NAMESPACE


def bulletin_id(slot: datetime) -> UUID:
    """One id per scheduled time, so two schedulers (or a retry) can only ever record it once."""
    return uuid5(NAMESPACE, f"bulletin\x00{slot.astimezone(timezone.utc).isoformat()}")


class Bulletin(Aggregate):
    """A bulletin's figures are the read model's as of one log position, so auditors can recompute them."""

    @staticmethod
    def create_id(slot: datetime) -> UUID:
        return bulletin_id(slot)

    @event("Published")
    def __init__(
        self,
        *,
        slot: datetime,
        composed_at: datetime,
        late: bool,
        as_of_position: int,
        as_of_recorded_at: datetime | None,
        figures: dict[str, Any],
        previous: UUID | None,
    ) -> None:
        self.slot = slot
        self.composed_at = composed_at
        self.late = late
        self.as_of_position = as_of_position
        self.as_of_recorded_at = as_of_recorded_at
        self.figures = figures
        self.previous = previous


@dataclass(frozen=True, slots=True)
class Schedule:
    """Local times of day in one time zone, e.g. 12:00, 18:00 and 23:00 in Moscow."""

    times: tuple[time, ...]
    zone: str = "Europe/Moscow"

    @classmethod
    def parse(cls, times: str, zone: str) -> Schedule:
        """`"12:00,18:00,23:00"`; an empty string is no schedule at all."""
        parsed = sorted({time.fromisoformat(part.strip()) for part in times.split(",") if part.strip()})
        ZoneInfo(zone)  # an unknown zone fails here, at start, not at the first due time
        return cls(tuple(parsed), zone)

    def slots_around(self, instant: datetime, days_back: int = 1, days_ahead: int = 1) -> list[datetime]:
        """Every slot from `days_back` local days before `instant`'s to `days_ahead` after, in UTC, in order."""
        tz = ZoneInfo(self.zone)
        today = instant.astimezone(tz).date()
        slots = []
        for offset in range(-days_back, days_ahead + 1):
            day = today + timedelta(days=offset)
            for at in self.times:
                slots.append(datetime.combine(day, at, tz).astimezone(timezone.utc))
        return sorted(slots)

    def latest_due(self, now: datetime) -> datetime | None:
        due = [slot for slot in self.slots_around(now) if slot <= now]
        return due[-1] if due else None

    def next_after(self, now: datetime) -> datetime | None:
        ahead = [slot for slot in self.slots_around(now) if slot > now]
        return ahead[0] if ahead else None

    def earlier(self, slot: datetime, days_back: int = 3) -> list[datetime]:
        """Slots before `slot`, newest first: where to look for the previous bulletin."""
        return [s for s in reversed(self.slots_around(slot, days_back=days_back, days_ahead=0)) if s < slot]

    def local_day(self, instant: datetime) -> date:
        return instant.astimezone(ZoneInfo(self.zone)).date()
