"""What the domain needs from the outside, stated as protocols so that infra supplies them."""

from __future__ import annotations

from typing import Any, Protocol


class PersonalDataVault(Protocol):
    """Seals personal fields under a key per data subject, so destroying the key forgets them."""

    def reference(self, pseudonym: str, *, create: bool = True) -> str | None:
        """The reporter's subject: random, kept only beside their key, so shredding unlinks it."""

    def seal(self, subject: str, fields: dict[str, Any]) -> str:
        """Encrypt `fields` for `subject`; the token is safe to keep in an event."""

    def open(self, subject: str, token: str) -> dict[str, Any] | None:
        """The fields sealed in `token`, or None once the subject has been forgotten."""

    def shred(self, subject: str) -> None:
        """Destroy the subject's key: everything sealed for it becomes unreadable."""
