"""The bulletin scheduler: at each scheduled time, composes the bulletin from the read model and records it.

Exactly once: a bulletin's id is derived from its scheduled time, so recording it twice fails in
the event store whoever tries; one scheduler is active per database (an advisory lock, as the
projector's), the others wait as hot standbys. A time that passed while svodka was down is
published once when it comes back, marked late (unless older than the late limit, or nothing
was ever published: a fresh install starts with the next time). Posting is the outbox's job:
the follower turns the recorded event into a channel post and partner deliveries.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol
from uuid import UUID

import asyncpg

from domain.application import Svodka
from domain.bulletin import Schedule, bulletin_id
from domain.model import utc_now
from projections.bulletins import change, compose
from projections.standby import hold_and_run
from projections.queries import AsOf

log = logging.getLogger("svodka.bulletins")
ON_TIME = timedelta(minutes=5)  # published later than this after its time, a bulletin says it is late


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return utc_now()


@dataclass
class Draft:
    """A bulletin composed but not (yet) recorded: what `svodka bulletin preview` prints."""

    slot: datetime
    composed_at: datetime
    late: bool
    as_of: AsOf
    figures: dict[str, Any]
    previous: UUID | None

    def facts(self) -> dict[str, Any]:
        return {
            "slot": self.slot, "composed_at": self.composed_at, "late": self.late,
            "as_of_position": self.as_of.position, "as_of_recorded_at": self.as_of.recorded_at,
            "figures": self.figures, "previous": self.previous,
        }  # fmt: skip


@dataclass
class Scheduler:
    app: Svodka
    schedule: Schedule
    clock: Clock = field(default_factory=SystemClock)
    top_cities: int = 5
    late_limit: timedelta = timedelta(hours=12)
    checkpoint_ttl: timedelta = timedelta(minutes=180)
    dashboard: str = "http://127.0.0.1:8000"

    def due(self, now: datetime) -> datetime | None:
        """The slot to publish now, if any: the latest one passed that is neither recorded nor stale."""
        slot = self.schedule.latest_due(now)
        if slot is None or now - slot > self.late_limit or self.app.bulletin(bulletin_id(slot)) is not None:
            return None
        if now - slot > ON_TIME and self._previous(slot) is None:
            return None  # nothing was ever published: a fresh install does not open with a late one
        return slot

    async def tick(self, conn: asyncpg.Connection) -> UUID | None:
        """Publish the due bulletin, if any; its id, or None (nothing due, or another scheduler won)."""
        now = self.clock.now()
        slot = await asyncio.to_thread(self.due, now)
        if slot is None:
            return None
        draft = await self.draft(conn, slot, now)
        bid = await asyncio.to_thread(lambda: self.app.publish_bulletin(**draft.facts()))
        if bid is not None:
            log.info("bulletin published", extra={"slot": slot.isoformat(), "late": draft.late,
                                                  "as_of": draft.as_of.position})  # fmt: skip
        return bid

    async def draft(self, conn: asyncpg.Connection, slot: datetime, now: datetime) -> Draft:
        as_of, figures = await compose(
            conn, day=self.schedule.local_day(slot), zone=self.schedule.zone, at=now, top=self.top_cities,
            ttl=self.checkpoint_ttl, dashboard=self.dashboard,
        )  # fmt: skip
        previous = await asyncio.to_thread(self._previous, slot)
        figures["change"] = change(figures, previous.figures if previous else None)
        return Draft(slot, now, now - slot > ON_TIME, as_of, figures, previous.id if previous else None)

    async def preview(self, conn: asyncpg.Connection) -> Draft | None:
        """The next bulletin as it would be composed now (the due one if any), without recording it."""
        now = self.clock.now()
        slot = await asyncio.to_thread(self.due, now) or self.schedule.next_after(now)
        if slot is None:
            return None
        return await self.draft(conn, slot, now)

    def _previous(self, slot: datetime):
        for earlier in self.schedule.earlier(slot):
            found = self.app.bulletin(bulletin_id(earlier))
            if found is not None:
                return found
        return None

    async def run(self, url: str, db_schema: str, *, poll: float = 5.0, standby: float = 1.0) -> None:
        """Until cancelled: hold the lock (or wait as a hot standby) and publish what falls due."""

        async def work(conn: asyncpg.Connection) -> None:
            while True:
                if await conn.fetchval("SELECT to_regclass('rm_tracking') IS NOT NULL"):
                    await self.tick(conn)
                await asyncio.sleep(poll)

        await hold_and_run(url, db_schema, "svodka bulletin scheduler", work, standby=standby, log=log)
