"""Group commit for intake: reports that arrive together are saved in one transaction.

Each request waits for the commit that holds its report, so a 201 still means "durable".
The domain's `Svodka.submit` validates, builds and saves in one call; a batch needs the
build without the save, so `prepare` assembles the same `Report` from the domain's public
pieces (tests/api/test_group_commit.py checks it matches `submit` event for event). Any
batch the store refuses (an id already taken, i.e. a retry) falls back to `submit`, which
owns idempotency.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import Any

from eventsourcing.persistence import IntegrityError
from starlette.concurrency import run_in_threadpool

from domain.application import NewReport, Submission, Svodka
from domain.errors import DomainError, InvalidReport
from domain.model import Kind, check_description, check_detained, check_occurred_at
from domain.places import coarse
from domain.report import Report, report_id

log = logging.getLogger("svodka.api")
Outcome = Submission | DomainError


def prepare(app: Svodka, new: NewReport, now: datetime | None = None) -> Report:
    """The Report that `app.submit(new)` would save, validated the same way, not yet saved."""
    try:
        kind = Kind(new.kind)
    except ValueError:
        raise InvalidReport("The kind must be 'detention' or 'checkpoint'.", field="kind") from None
    detained = check_detained(kind, new.detained)
    occurred_at = check_occurred_at(new.occurred_at, now)
    description = check_description(new.description)
    place = app.gazetteer.resolve(region=new.region, city=new.city, lat=new.lat, lon=new.lon)
    personal: dict[str, Any] = {"description": description} if description else {}
    public_point: tuple[float | None, float | None] = (None, None)
    if new.lat is not None and new.lon is not None:
        personal["lat"], personal["lon"] = float(new.lat), float(new.lon)
        public_point = coarse(new.lat, new.lon)
    elif place.city is not None:
        centre = app.gazetteer.city_by_name_en(place.city)
        public_point = coarse(centre.lat, centre.lon)
    rid = report_id(new.channel, new.client_ref)
    subject = new.reporter or f"report:{rid}"
    return Report(
        id=rid,
        kind=kind.value,
        channel=new.channel,
        reporter=new.reporter,
        region=place.region,
        city=place.city,
        occurred_at=occurred_at,
        local_day=app.gazetteer.local_date(occurred_at, place.region).isoformat(),
        detained=detained,
        coarse_lat=public_point[0],
        coarse_lon=public_point[1],
        subject=subject,
        sealed=app.vault.seal(subject, personal) if personal else None,
    )


def commit(app: Svodka, batch: list[NewReport]) -> list[Outcome]:
    """Save every valid report of `batch` in one transaction; the outcome of each, in order."""
    outcomes: list[Outcome | None] = [None] * len(batch)
    fresh: dict[Any, tuple[int, Report]] = {}
    retry: list[int] = []
    for i, new in enumerate(batch):
        try:
            report = prepare(app, new)
        except DomainError as error:
            outcomes[i] = error
            continue
        if report.id in fresh:
            retry.append(i)  # the same key twice in one batch: the second is a retry of the first
        else:
            fresh[report.id] = (i, report)
    if fresh:
        try:
            app.save(*(report for _, report in fresh.values()))
        except IntegrityError:
            # Some id exists already: `submit` tells a same-body retry from a conflict, one by one.
            retry.extend(i for i, _ in fresh.values())
        else:
            for i, report in fresh.values():
                outcomes[i] = Submission(report.id, created=True)
    for i in sorted(retry):
        try:
            outcomes[i] = app.submit(batch[i])
        except DomainError as error:
            outcomes[i] = error
    return outcomes  # type: ignore[return-value]


class GroupCommit:
    """Queue of pending reports drained by `concurrency` committers, `batch_max` at a time."""

    def __init__(self, app: Svodka, *, batch_max: int, concurrency: int) -> None:
        self._app = app
        self._batch_max = batch_max
        self._concurrency = max(1, concurrency)
        self._queue: asyncio.Queue[tuple[NewReport, asyncio.Future[Outcome]]] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []

    async def submit(self, new: NewReport) -> Submission:
        if self._batch_max <= 1:
            return await run_in_threadpool(self._app.submit, new)  # one save per request
        if not self._tasks:
            self._tasks = [asyncio.create_task(self._drain()) for _ in range(self._concurrency)]
        future: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait((new, future))
        outcome = await future
        if isinstance(outcome, DomainError):
            raise outcome
        return outcome

    async def _drain(self) -> None:
        while True:
            pending = [await self._queue.get()]
            while len(pending) < self._batch_max and not self._queue.empty():
                pending.append(self._queue.get_nowait())
            try:
                outcomes = await run_in_threadpool(commit, self._app, [new for new, _ in pending])
            except Exception as error:  # noqa: BLE001 - the store failed: every waiter must hear of it
                log.error("group commit failed", extra={"error": type(error).__name__, "reports": len(pending)})
                for _, future in pending:
                    if not future.done():
                        future.set_exception(error)
                continue
            for (_, future), outcome in zip(pending, outcomes, strict=True):
                if not future.done():  # the client may have gone; the report is saved all the same
                    future.set_result(outcome)

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
