"""Bulk import of a hotline's CSV: a dry run that stores nothing, then the valid rows stored
through the same group commit as POST /v1/reports, each under its row's idempotency key."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Literal
from uuid import UUID

from starlette.concurrency import run_in_threadpool

from api.group_commit import GroupCommit
from api.metrics import Metrics
from domain.application import Svodka
from domain.errors import DomainError
from domain.report import report_id
from domain.sheet import Sheet, SheetRow, read_sheet
from projections import schema, triage

log = logging.getLogger("svodka.api")
MAX_FILE_BYTES = 4 * 1024 * 1024  # 20,000 rows of some 200 characters each
IMPORT_PATH = "/console/desk/import"
# The upload, then the same file again in base64 (4/3 the size) when the dry run's page imports it.
MAX_IMPORT_BODY = MAX_FILE_BYTES * 3 // 2
LARGER_BODIES = {IMPORT_PATH: MAX_IMPORT_BODY}  # for api/middleware.py's BodyLimit
Outcome = Literal["stored", "already stored", "refused", "not stored"]


@dataclass(frozen=True, slots=True)
class Imported:
    row: SheetRow
    outcome: Outcome
    id: UUID | None = None
    message: str | None = None  # why it was refused or not stored


def operator_channel(operator: str) -> str:
    """The channel an operator's reports are sent on, by every front door (API, form, import)."""
    return f"operator:{operator}"


async def dry_run(data: bytes, application: Svodka, operator: str) -> Sheet:
    """Every row as it would be stored, or what is wrong with it; off the event loop (10,000 rows
    take a noticeable fraction of a second)."""
    return await run_in_threadpool(read_sheet, data, application, channel=operator_channel(operator))


async def stored_before(sheet: Sheet, pool) -> set[int]:
    """Row numbers whose report the read model already holds (a row alike imported before, from
    this file or an earlier version of it): the dry run says so. A hint only, a moment behind the store; the import itself is what is idempotent."""
    ids = {report_id(row.report.channel, row.report.client_ref): row.number for row in sheet.valid if row.report}
    if not ids:
        return set()
    async with pool.acquire() as conn:
        if not await schema.exists(conn):
            return set()
        return {ids[rid] for rid in await triage.known(conn, list(ids))}


async def import_rows(sheet: Sheet, intake: GroupCommit, metrics: Metrics | None = None,
                      window: int = 512) -> list[Imported]:
    """The valid rows, submitted `window` at a time so reports arriving by the API meanwhile get
    into the same batches instead of waiting behind the whole file; wrong rows come back as refused."""
    done: list[Imported] = [Imported(row, "refused", message="; ".join(p.message for p in row.problems))
                            for row in sheet.wrong]
    valid = sheet.valid
    for start in range(0, len(valid), window):
        chunk = valid[start:start + window]
        outcomes = await asyncio.gather(*(intake.submit(row.report) for row in chunk if row.report),
                                        return_exceptions=True)
        for row, outcome in zip(chunk, outcomes, strict=True):
            done.append(_imported(row, outcome, metrics))
    done.sort(key=lambda item: item.row.number)
    return done


def _imported(row: SheetRow, outcome: object, metrics: Metrics | None) -> Imported:
    if isinstance(outcome, DomainError):  # e.g. this key already used for a different report
        if metrics:
            metrics.intake_outcome(type(outcome).__name__)
        return Imported(row, "refused", message=outcome.message)
    if isinstance(outcome, BaseException):
        # The store failed for this batch: the rest of the file still went in, and importing the
        # file again stores these rows and nothing twice. Only the type: messages can quote data.
        log.warning("import row not stored", extra={"error": type(outcome).__name__})
        return Imported(row, "not stored", message="Not stored now (the database did not answer); "
                                                   "import the file again, nothing will be stored twice.")
    created = outcome.created  # type: ignore[attr-defined]
    if metrics:
        metrics.intake_outcome("created" if created else "retry")
    return Imported(row, "stored" if created else "already stored", id=outcome.id)  # type: ignore[attr-defined]
