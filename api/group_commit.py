"""Group commit for intake: reports that arrive together are saved in one transaction.

Each request waits for the commit that holds its report, so a 201 still means "durable".
The batch itself is the domain's `Svodka.submit_many`.
"""

from __future__ import annotations

import asyncio
import logging

from starlette.concurrency import run_in_threadpool

from domain.application import NewReport, Submission, Svodka

log = logging.getLogger("svodka.api")
Outcome = Submission | Exception  # a report's own error is raised to its own request only


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
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    async def _drain(self) -> None:
        while True:
            pending = [await self._queue.get()]
            while len(pending) < self._batch_max and not self._queue.empty():
                pending.append(self._queue.get_nowait())
            try:
                outcomes = await run_in_threadpool(self._app.submit_many, [new for new, _ in pending])
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
