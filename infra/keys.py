"""The two server secrets: from settings, or generated once into the data directory."""

from __future__ import annotations

import base64
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from infra.settings import Settings


AUDIT_PURPOSES = ("audit signing", "audit pseudonym")  # kept across master-key rotations


@dataclass(frozen=True, slots=True)
class Keys:
    secret: bytes  # HMAC key for reporter pseudonyms
    master_key: bytes  # AES-256 key for events at rest and for wrapping data keys
    # After a rotation: the audit subkeys of the first master key, in AUDIT_PURPOSES order, so the
    # signing key (and every published head) and audit pseudonyms stay what they were.
    audit_key: bytes | None = None

    def subkey(self, purpose: str) -> bytes:
        """One key per use, derived from the master key, so no key serves two ciphers."""
        if self.audit_key is not None and purpose in AUDIT_PURPOSES:
            i = AUDIT_PURPOSES.index(purpose)
            return self.audit_key[32 * i : 32 * (i + 1)]
        return HKDF(algorithm=SHA256(), length=32, salt=None, info=f"svodka {purpose} v1".encode()).derive(
            self.master_key
        )

    def audit_keys(self) -> bytes:
        """What SVODKA_AUDIT_KEY holds (64 bytes): the audit subkeys as they are now."""
        return b"".join(self.subkey(p) for p in AUDIT_PURPOSES)


def load_keys(settings: Settings) -> Keys:
    """Production refuses generated keys (Settings enforces it); elsewhere they are made once."""
    folder = settings.data_dir / "secrets"
    secret = (
        settings.secret.get_secret_value()
        if settings.secret
        else _generated(folder / "svodka_secret", lambda: secrets.token_urlsafe(48))
    )
    master = (
        settings.master_key.get_secret_value()
        if settings.master_key
        else _generated(folder / "svodka_master_key", lambda: base64.b64encode(os.urandom(32)).decode())
    )
    audit = base64.b64decode(settings.audit_key.get_secret_value()) if settings.audit_key else None
    return Keys(secret=secret.encode(), master_key=base64.b64decode(master), audit_key=audit)


def _generated(path: Path, make) -> str:
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    value = make()
    # O_EXCL: two processes starting at once must not each write a different key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(value + "\n")
    return value
