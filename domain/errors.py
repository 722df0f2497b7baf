"""Errors a user can cause in the domain. Each carries a message fit to show them."""


class DomainError(Exception):
    """A rule of the domain was broken; the message says which, in plain words."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidReport(DomainError):
    """A report's facts break an invariant (count out of range, time in the future...)."""


class InvalidTransition(DomainError):
    """A report cannot move to the asked status from where it is."""


class UnknownPlace(DomainError):
    """A region code, city name or point that the gazetteer does not know."""


class IdempotencyConflict(DomainError):
    """The same client reference was sent again with a different body."""


class ReportNotFound(DomainError):
    """No report has this id."""


class Conflict(DomainError):
    """Someone else changed the report first; reload it and decide again."""
