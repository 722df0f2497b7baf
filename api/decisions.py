"""A moderator's decision on a report, as both front doors make it: the JSON API (api/moderation.py)
and the console's forms (api/console/decide.py). One path to the domain, so a decision means the
same, names its moderator the same way and checks the version seen the same way, whichever door.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from uuid import UUID

from domain.application import HistoryEntry, Linked, Svodka

Action = Literal["verify", "reject", "duplicate", "reopen", "correct", "clear"]
ACTIONS: tuple[Action, ...] = ("verify", "reject", "duplicate", "reopen", "correct", "clear")


@dataclass(frozen=True, slots=True)
class Outcome:
    id: UUID
    version: int
    status: str
    decided_by: str
    linked: Linked | None = None  # a duplicate's link, as the domain made it


@dataclass(frozen=True, slots=True)
class Facts:
    """What a decision says beside its action; each action reads the fields it needs."""

    note: str | None = None
    reason: str | None = None
    of: UUID | None = None
    detained: int | None = None
    region: str | None = None
    city: str | None = None
    occurred_at: datetime | None = None


def decide(application: Svodka, rid: UUID, action: Action, *, by: str, seen: int, facts: Facts) -> Outcome:
    """Blocking (the event store): call it from a worker thread. Raises the domain's errors:
    `Conflict` when the report is no longer at version `seen`."""
    linked = None
    if action == "verify":
        version = application.verify(rid, moderator=by, note=facts.note, expected_version=seen)
    elif action == "reject":
        version = application.reject(rid, moderator=by, reason=facts.reason or "", expected_version=seen)
    elif action == "duplicate":
        assert facts.of is not None
        linked = application.mark_duplicate(rid, of=facts.of, moderator=by, reason=facts.reason,
                                            expected_version=seen)
        version = linked.version
    elif action == "reopen":
        version = application.reopen(rid, moderator=by, reason=facts.reason or "", expected_version=seen)
    elif action == "correct":
        version = application.correct(rid, by=by, reason=facts.reason or "", expected_version=seen,
                                      detained=facts.detained, region=facts.region, city=facts.city,
                                      occurred_at=facts.occurred_at)
    else:
        version = application.clear_checkpoint_as_moderator(rid, moderator=by, expected_version=seen)
    status = "duplicate" if linked is not None else application.report(rid).status.value
    return Outcome(rid, version, status, by, linked)


def changes_since(application: Svodka, rid: UUID, seen: int) -> list[HistoryEntry]:
    """What happened to a report after version `seen`: each event is one version."""
    return application.history(rid)[max(seen, 0):]


def block(application: Svodka, reference: str, *, by: str, reason: str) -> int:
    """Block a reporter by the reference on their reports: their reports stop counting."""
    return application.block_reporter(reference, moderator=by, reason=reason)


def forget(application: Svodka, reference: str, *, by: str) -> int:
    """Erase a reporter's personal data on their request, asked through a moderator."""
    return application.forget_reference(reference, by=f"moderator:{by}")
