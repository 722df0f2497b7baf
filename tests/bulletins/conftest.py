"""Bulletin fixtures: a clock the test moves, the scheduler on it, and the API over HTTP."""

from __future__ import annotations

import threading
from datetime import datetime, time

import pytest

from domain.bulletin import Schedule
from infra.scheduler import Scheduler
from projections.outbox import Follower, Outward
from projections.projector import Projector
from tests.api.conftest import api, base_config, http, serve  # noqa: F401 - fixtures shared with the API tests
from tests.outbox.conftest import conn  # noqa: F401 - the read model and outbox on this test's schema

TIMES = (time(12), time(18), time(23))


class FakeClock:
    """The scheduler's clock port, set by the test."""

    def __init__(self, now: datetime) -> None:
        self._now = now
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def set(self, now: datetime) -> None:
        with self._lock:
            self._now = now


@pytest.fixture
def application(pg_app):
    return pg_app


@pytest.fixture
def make_scheduler(application):
    def make(clock: FakeClock, **overrides) -> Scheduler:
        fields = dict(app=application, schedule=Schedule(TIMES, "Europe/Moscow"), clock=clock, top_cities=2,
                      dashboard="https://svodka.example")
        fields.update(overrides)
        return Scheduler(**fields)

    return make


@pytest.fixture
def follower(application) -> Follower:
    return Follower(application.mapper, application.gazetteer, Outward(channel="@svodka_test", language="ru"))


async def settle(conn, application, follower: Follower) -> None:
    """Fold everything stored into the read model, and decide what goes outward."""
    await Projector(application.mapper).catch_up(conn)
    await follower.catch_up(conn)
