"""The Reporter aggregate: what moderators decide about one reporter, never who it is.

A reporter is known here by their reference (`Svodka._reference`): a random id held only in
their key row, so once "forget me" deletes that row, nothing stored links it to an account.
The event field keeps its old name, `pseudonym`; for reporters from before references it holds
the HMAC pseudonym itself (docs/THREAT_MODEL.md).
"""

from __future__ import annotations

from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.errors import InvalidTransition
from domain.report import NAMESPACE


# A reference is 32 hex digits; a reporter from before references is named by their 64-digit pseudonym.
REFERENCE_PATTERN = r"^[0-9a-f]{32}(?:[0-9a-f]{32})?$"
LEGACY_REFERENCE_LENGTH = 64


def reporter_id(reference: str) -> UUID:
    return uuid5(NAMESPACE, f"reporter\x00{reference}")


class Reporter(Aggregate):
    @staticmethod
    def create_id(pseudonym: str) -> UUID:  # the reference; named as the event's field
        return reporter_id(pseudonym)

    @event("Registered")
    def __init__(self, pseudonym: str) -> None:
        self.pseudonym = pseudonym
        self.blocked = False
        self.forgotten = False

    def block(self, moderator: str, reason: str) -> None:
        if self.blocked:
            raise InvalidTransition("This reporter is already blocked.", code="already_blocked")
        self._blocked(moderator=moderator, reason=reason)

    @event("Blocked")
    def _blocked(self, moderator: str, reason: str) -> None:
        self.blocked = True

    def unblock(self, moderator: str, reason: str) -> None:
        if not self.blocked:
            raise InvalidTransition("This reporter is not blocked.", code="not_blocked")
        self._unblocked(moderator=moderator, reason=reason)

    @event("Unblocked")
    def _unblocked(self, moderator: str, reason: str) -> None:
        self.blocked = False

    def forget(self, by: str) -> None:
        """Record that the reporter's key was destroyed; counts keep their anonymous facts."""
        if self.forgotten:
            raise InvalidTransition("This reporter's personal data is already erased.", code="already_forgotten")
        self._forgotten(by=by)

    @event("Forgotten")
    def _forgotten(self, by: str) -> None:
        self.forgotten = True
