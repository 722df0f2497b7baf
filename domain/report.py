"""The Report aggregate: one citizen's or operator's account of a detention or a checkpoint."""

from __future__ import annotations

from datetime import datetime
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
        self.decisions: list[tuple[str, str, str | None]] = []

    # -- reporters ---------------------------------------------------------

    def confirm(self, by: str | None) -> None:
        """Another reporter says the checkpoint is still there."""
        self._require_open_checkpoint()
        self._confirmed(by=by)

    @event("Confirmed")
    def _confirmed(self, by: str | None) -> None:
        pass

    def clear(self, by: str | None) -> None:
        """A reporter says the checkpoint is gone."""
        self._require_open_checkpoint()
        self._cleared(by=by)

    @event("Cleared")
    def _cleared(self, by: str | None) -> None:
        self.cleared = True

    def retract(self, by: str | None) -> None:
        self._require_not_retracted()
        if by != self.reporter:
            raise InvalidTransition("Only the person who sent a report can retract it.")
        self._retracted(by=by)

    @event("Retracted")
    def _retracted(self, by: str | None) -> None:
        self.status = Status.RETRACTED

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
            raise InvalidTransition(f"A {self.status.value} report cannot be corrected.")
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
            raise InvalidTransition(f"A {self.status.value} report cannot be verified.")
        if self.status is Status.VERIFIED:
            raise InvalidTransition("This report is already verified.")
        self._verified(moderator=moderator, note=note)

    @event("Verified")
    def _verified(self, moderator: str, note: str | None) -> None:
        self.status = Status.VERIFIED
        self.decisions.append((moderator, "verified", note))

    def reject(self, moderator: str, reason: str) -> None:
        self._require_not_retracted()
        if self.status in (Status.REJECTED, Status.DUPLICATE):
            raise InvalidTransition(f"This report is already {self.status.value}.")
        self._rejected(moderator=moderator, reason=reason)

    @event("Rejected")
    def _rejected(self, moderator: str, reason: str) -> None:
        self.status = Status.REJECTED
        self.decisions.append((moderator, "rejected", reason))

    def mark_duplicate(self, moderator: str, of: UUID, reason: str | None) -> None:
        self._require_not_retracted()
        if of == self.id:
            raise InvalidTransition("A report cannot be a duplicate of itself.")
        if self.status in (Status.REJECTED, Status.DUPLICATE):
            raise InvalidTransition(f"This report is already {self.status.value}.")
        self._marked_duplicate(moderator=moderator, of=of, reason=reason)

    @event("MarkedDuplicate")
    def _marked_duplicate(self, moderator: str, of: UUID, reason: str | None) -> None:
        self.status = Status.DUPLICATE
        self.duplicate_of = of
        self.decisions.append((moderator, "duplicate", reason))

    # -- guards ----------------------------------------------------------------

    def _require_not_retracted(self) -> None:
        if self.status is Status.RETRACTED:
            raise InvalidTransition("This report was retracted by its reporter and cannot change.")

    def _require_open_checkpoint(self) -> None:
        self._require_not_retracted()
        if self.kind is not Kind.CHECKPOINT:
            raise InvalidReport("Only checkpoint reports can be confirmed or cleared.")
        if self.status not in OPEN:
            raise InvalidTransition(f"This checkpoint report is {self.status.value}.")
        if self.cleared:
            raise InvalidTransition("This checkpoint was already reported gone.")
