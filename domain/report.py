"""The Report aggregate: one citizen's or operator's account of a detention or a checkpoint."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.errors import InvalidReport, InvalidTransition
from domain.model import Kind, Status

# Ids are derived, never random, so a retried submission lands on the same aggregate.
NAMESPACE = uuid5(NAMESPACE_URL, "https://svodka.org/ns/v1")
OPEN = (Status.UNREVIEWED, Status.VERIFIED)


def report_id(channel: str, client_ref: str) -> UUID:
    return uuid5(NAMESPACE, f"report\x00{channel}\x00{client_ref}")


class Report(Aggregate):
    """A report's countable facts are plain; its personal fields are sealed per data subject."""

    @event("Submitted")
    def __init__(
        self,
        *,
        id: UUID,  # noqa: A002 - derived by report_id(); the library takes it as the originator id
        kind: str,
        channel: str,
        reporter: str | None,
        region: str,
        city: str | None,
        occurred_at: datetime,
        local_day: str,
        detained: int | None,
        coarse_lat: float | None,
        coarse_lon: float | None,
        subject: str,
        sealed: str | None,
    ) -> None:
        self.kind = Kind(kind)
        self.channel = channel
        self.reporter = reporter
        self.region = region
        self.city = city
        self.occurred_at = occurred_at
        self.local_day = local_day
        self.detained = detained
        self.coarse_lat = coarse_lat
        self.coarse_lon = coarse_lon
        self.subject = subject
        self.sealed = sealed
        self.status = Status.UNREVIEWED
        self.cleared = False
        self.duplicate_of: UUID | None = None
        self.duplicates: set[UUID] = set()  # reports marked as duplicates of this one, its group
        self.still_there: set[str] = set()  # pseudonyms that said "still there", once each
        self.gone: set[str] = set()  # pseudonyms that said "gone", once each
        self.decisions: list[tuple[str, str, str | None]] = []

    # -- reporters' votes on a checkpoint --------------------------------------------
    # One vote of each kind per pseudonym: a repeat changes nothing, so a double tap neither
    # adds a confirmation nor extends the checkpoint. "Gone" ends it only when the reporter who
    # reported it says so, when two distinct others do, or when a moderator does.

    class Confirmed(Aggregate.Event):
        """"Still there", as seen at `seen_at` (v1 events carried no time: seen when recorded)."""

        class_version = 2
        by: str | None
        seen_at: datetime | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["seen_at"] = None

    class Cleared(Aggregate.Event):
        """"Gone", as seen at `seen_at`; `ends` says whether the vote ended the checkpoint
        (every v1 "gone" did, and v1 events carried no time: seen when recorded)."""

        class_version = 2
        by: str | None
        seen_at: datetime | None
        ends: bool
        moderator: str | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state.update(seen_at=None, ends=True, moderator=None)

    def confirm(self, by: str | None, seen_at: datetime) -> bool:
        """A reporter says the checkpoint is still there; False when they already had."""
        voter = self._voter(by)
        if voter in self.still_there:
            return False
        self._require_open_checkpoint()
        self._confirmed(by=voter, seen_at=seen_at)
        return True

    @event(Confirmed)
    def _confirmed(self, by: str | None, seen_at: datetime | None) -> None:
        if by is not None:
            self.still_there.add(by)

    def clear(self, by: str | None, seen_at: datetime) -> bool:
        """A reporter says the checkpoint is gone; False when they already had."""
        voter = self._voter(by)
        if voter in self.gone:
            return False
        self._require_open_checkpoint()
        others = (self.gone | {voter}) - {self.reporter}
        ends = voter == self.reporter or len(others) >= 2
        self._cleared(by=voter, seen_at=seen_at, ends=ends, moderator=None)
        return True

    def clear_as_moderator(self, moderator: str, seen_at: datetime) -> None:
        self._require_open_checkpoint()
        self._cleared(by=None, seen_at=seen_at, ends=True, moderator=moderator)

    @event(Cleared)
    def _cleared(self, by: str | None, seen_at: datetime | None, ends: bool, moderator: str | None) -> None:
        if by is not None:
            self.gone.add(by)
        if ends:
            self.cleared = True
        if moderator is not None:
            self.decisions.append((moderator, "cleared", None))

    @staticmethod
    def _voter(by: str | None) -> str:
        if not by:
            raise InvalidReport("A vote on a checkpoint needs the voter's pseudonym.", code="vote_voter", field="by")
        return by

    # -- withdrawal ------------------------------------------------------------------

    class Retracted(Aggregate.Event):
        """Withdrawn by who sent it; v2 adds the reason (v1 events gave none)."""

        class_version = 2
        by: str | None
        reason: str | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["reason"] = None

    def retract(self, by: str | None, reason: str | None = None) -> None:
        """By the reporter who sent it (`by` is their pseudonym) or the operator (`by` is the channel)."""
        self._require_not_retracted()
        if by is None or by not in (self.reporter, self.channel if self.channel.startswith("operator:") else None):
            raise InvalidTransition("Only whoever sent a report can retract it.", code="only_sender")
        self._retracted(by=by, reason=reason)

    @event(Retracted)
    def _retracted(self, by: str | None, reason: str | None) -> None:
        self.status = Status.RETRACTED
        self.duplicate_of = None  # a withdrawn report leaves its group

    # -- corrections ---------------------------------------------------------

    def correct(
        self,
        *,
        by: str,
        reason: str,
        detained: int | None,
        region: str,
        city: str | None,
        occurred_at: datetime,
        local_day: str,
        coarse_lat: float | None,
        coarse_lon: float | None,
    ) -> None:
        """Replace the countable facts; the event carries all of them so a fold needs no history."""
        self._require_not_retracted()
        if self.status in (Status.REJECTED, Status.DUPLICATE):
            raise InvalidTransition(f"A {self.status.value} report cannot be corrected.", code="cannot_correct",
                                    parts={"status": self.status})
        self._corrected(
            by=by,
            reason=reason,
            detained=detained,
            region=region,
            city=city,
            occurred_at=occurred_at,
            local_day=local_day,
            coarse_lat=coarse_lat,
            coarse_lon=coarse_lon,
        )

    @event("Corrected")
    def _corrected(
        self,
        by: str,
        reason: str,
        detained: int | None,
        region: str,
        city: str | None,
        occurred_at: datetime,
        local_day: str,
        coarse_lat: float | None,
        coarse_lon: float | None,
    ) -> None:
        self.detained = detained
        self.region = region
        self.city = city
        self.occurred_at = occurred_at
        self.local_day = local_day
        self.coarse_lat = coarse_lat
        self.coarse_lon = coarse_lon
        self.decisions.append((by, "corrected", reason))

    # -- moderation ----------------------------------------------------------

    def verify(self, moderator: str, note: str | None) -> None:
        self._require_not_retracted()
        if self.status in (Status.REJECTED, Status.DUPLICATE):
            raise InvalidTransition(f"A {self.status.value} report cannot be verified.", code="cannot_verify",
                                    parts={"status": self.status})
        if self.status is Status.VERIFIED:
            raise InvalidTransition("This report is already verified.", code="already",
                                    parts={"status": Status.VERIFIED})
        self._verified(moderator=moderator, note=note)

    @event("Verified")
    def _verified(self, moderator: str, note: str | None) -> None:
        self.status = Status.VERIFIED
        self.decisions.append((moderator, "verified", note))

    def reject(self, moderator: str, reason: str) -> None:
        self._require_not_retracted()
        if self.status in (Status.REJECTED, Status.DUPLICATE):
            raise InvalidTransition(f"This report is already {self.status.value}.", code="already",
                                    parts={"status": self.status})
        if self.duplicates:
            # Rejecting a group's root would silently drop the whole group from the figures.
            names = ", ".join(sorted(str(d) for d in self.duplicates))
            raise InvalidTransition(
                f"Reports {names} are marked as duplicates of this one; reopen or re-point them first.",
                code="has_duplicates", field="duplicates", parts={"ids": names},
            )
        self._rejected(moderator=moderator, reason=reason)

    @event("Rejected")
    def _rejected(self, moderator: str, reason: str) -> None:
        self.status = Status.REJECTED
        self.decisions.append((moderator, "rejected", reason))

    def mark_duplicate(self, moderator: str, of: UUID, reason: str | None) -> None:
        self._require_not_retracted()
        if of == self.id:
            raise InvalidTransition("A report cannot be a duplicate of itself.", code="self_duplicate")
        if self.status is Status.REJECTED:
            raise InvalidTransition(f"This report is already {self.status.value}.", code="already",
                                    parts={"status": self.status})
        if self.status is Status.DUPLICATE:
            if of == self.duplicate_of:
                raise InvalidTransition(f"This report is already a duplicate of {of}.", code="already_duplicate_of",
                                        parts={"id": of})
            self._repointed(moderator=moderator, of=of, reason=reason)
            return
        self._marked_duplicate(moderator=moderator, of=of, reason=reason)

    @event("MarkedDuplicate")
    def _marked_duplicate(self, moderator: str, of: UUID, reason: str | None) -> None:
        self.status = Status.DUPLICATE
        self.duplicate_of = of
        self.decisions.append((moderator, "duplicate", reason))

    @event("Repointed")
    def _repointed(self, moderator: str, of: UUID, reason: str | None) -> None:
        """A duplicate now points at another report (a mistake mended, or its root merged)."""
        self.duplicate_of = of
        self.decisions.append((moderator, "repointed", reason))

    def reopen(self, moderator: str, reason: str) -> None:
        """Back to unreviewed from verified, rejected or duplicate, to be decided again."""
        self._require_not_retracted()
        if self.status is Status.UNREVIEWED:
            raise InvalidTransition("This report is already unreviewed.", code="already",
                                    parts={"status": Status.UNREVIEWED})
        self._reopened(moderator=moderator, reason=reason)

    @event("Reopened")
    def _reopened(self, moderator: str, reason: str) -> None:
        self.status = Status.UNREVIEWED
        self.duplicate_of = None
        self.decisions.append((moderator, "reopened", reason))

    # The root of a group knows its members, so a decision on the root and a link to it made
    # at the same moment conflict on the root's version instead of both going through.

    @event("DuplicateAttached")
    def attach_duplicate(self, duplicate: UUID) -> None:
        self.duplicates.add(duplicate)

    @event("DuplicateDetached")
    def detach_duplicate(self, duplicate: UUID) -> None:
        self.duplicates.discard(duplicate)

    # -- guards ----------------------------------------------------------------

    def _require_not_retracted(self) -> None:
        if self.status is Status.RETRACTED:
            raise InvalidTransition("This report was retracted by its reporter and cannot change.", code="retracted")

    def _require_open_checkpoint(self) -> None:
        self._require_not_retracted()
        if self.kind is not Kind.CHECKPOINT:
            raise InvalidReport("Only checkpoint reports can be confirmed or cleared.", code="not_checkpoint")
        if self.status not in OPEN:
            raise InvalidTransition(f"This checkpoint report is {self.status.value}.", code="checkpoint_closed",
                                    parts={"status": self.status})
        if self.cleared:
            raise InvalidTransition("This checkpoint was already reported gone.", code="checkpoint_gone")
