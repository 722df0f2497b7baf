"""The Reporter aggregate: what moderators decide about one pseudonym, never who it is."""

from __future__ import annotations

from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.errors import InvalidTransition
from domain.report import NAMESPACE


def reporter_id(pseudonym: str) -> UUID:
    return uuid5(NAMESPACE, f"reporter\x00{pseudonym}")


class Reporter(Aggregate):
    @staticmethod
    def create_id(pseudonym: str) -> UUID:
        return reporter_id(pseudonym)

    @event("Registered")
    def __init__(self, pseudonym: str) -> None:
        self.pseudonym = pseudonym
        self.blocked = False
        self.forgotten = False

    def block(self, moderator: str, reason: str) -> None:
        if self.blocked:
            raise InvalidTransition("This reporter is already blocked.")
        self._blocked(moderator=moderator, reason=reason)

    @event("Blocked")
    def _blocked(self, moderator: str, reason: str) -> None:
        self.blocked = True

    def unblock(self, moderator: str, reason: str) -> None:
        if not self.blocked:
            raise InvalidTransition("This reporter is not blocked.")
        self._unblocked(moderator=moderator, reason=reason)

    @event("Unblocked")
    def _unblocked(self, moderator: str, reason: str) -> None:
        self.blocked = False

    def forget(self, by: str) -> None:
        """Record that the reporter's key was destroyed; counts keep their anonymous facts."""
        if self.forgotten:
            raise InvalidTransition("This reporter's personal data is already erased.")
        self._forgotten(by=by)

    @event("Forgotten")
    def _forgotten(self, by: str) -> None:
        self.forgotten = True
