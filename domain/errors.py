"""Errors a user can cause in the domain. Each carries a message fit to show them, and a code."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class DomainError(Exception):
    """A rule of the domain was broken; the message says which, in plain English words.

    `code` names the rule and stays the same when the message is reworded, so a page in another
    language can say it again in its own words (api/console/domain_words.py); `parts` are the
    values the message names (a status, a count, a region, a report id) as domain values, for that
    page to name in its language too. The message itself is what the JSON API shows.
    """

    def __init__(self, message: str, *, code: str, field: str | None = None,
                 parts: Mapping[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.field = field
        self.parts: Mapping[str, Any] = dict(parts or {})


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
