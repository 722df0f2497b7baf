"""What the domain needs from the outside, stated as protocols so that infra supplies them."""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any, Protocol


class PersonalDataVault(Protocol):
    """Seals personal fields under a key per data subject, so destroying the key forgets them."""

    def reference(self, pseudonym: str, *, create: bool = True) -> str | None:
        """The reporter's subject: random, kept only beside their key, so shredding unlinks it."""

    def seal(self, subject: str, fields: dict[str, Any]) -> str:
        """Encrypt `fields` for `subject`; the token is safe to keep in an event."""

    def sealer(self, subjects: Collection[str]) -> Callable[[str, dict[str, Any]], str]:
        """`seal` for a batch: the subjects' new keys are created together and are durable when
        this returns, so a batch of reports costs one key-store commit rather than one each."""

    def open(self, subject: str, token: str) -> dict[str, Any] | None:
        """The fields sealed in `token`, or None once the subject has been forgotten."""

    def shred(self, subject: str) -> None:
        """Destroy the subject's key: everything sealed for it becomes unreadable."""
