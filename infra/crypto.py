"""Pseudonyms and envelope encryption of personal fields (crypto-shredding)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import threading
import uuid
from typing import Any, Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM


def pseudonym(secret: bytes, channel: str, raw_id: int | str) -> str:
    """HMAC-SHA256(secret, "<channel>:<id>"): stable per person, useless without the secret."""
    return hmac.new(secret, f"{channel}:{raw_id}".encode(), hashlib.sha256).hexdigest()


class KeyStore(Protocol):
    """Wrapped data keys, one live key per subject, kept outside the event log."""

    def get(self, subject: str, key_id: str | None = None) -> tuple[str, bytes] | None: ...
    def add(self, subject: str, key_id: str, wrapped: bytes) -> tuple[str, bytes]: ...
    def delete(self, subject: str) -> None: ...


class MemoryKeyStore:
    def __init__(self) -> None:
        self._keys: dict[str, tuple[str, bytes]] = {}
        self._lock = threading.Lock()

    def get(self, subject: str, key_id: str | None = None) -> tuple[str, bytes] | None:
        found = self._keys.get(subject)
        if found is None or (key_id is not None and found[0] != key_id):
            return None
        return found

    def add(self, subject: str, key_id: str, wrapped: bytes) -> tuple[str, bytes]:
        with self._lock:
            return self._keys.setdefault(subject, (key_id, wrapped))

    def delete(self, subject: str) -> None:
        self._keys.pop(subject, None)


class EnvelopeVault:
    """A data key per subject, wrapped by the master key; deleting it shreds the subject's data.

    Tokens are `v1.<key id>.<base64(nonce | ciphertext)>`; the subject is bound as associated
    data, so a token copied onto another subject's report does not open.
    """

    def __init__(self, master_key: bytes, store: KeyStore) -> None:
        self._master = AESGCM(master_key)
        self._store = store

    def seal(self, subject: str, fields: dict[str, Any]) -> str:
        key_id, data_key = self._key_for(subject)
        nonce = os.urandom(12)
        plaintext = json.dumps(fields, separators=(",", ":"), sort_keys=True).encode()
        sealed = AESGCM(data_key).encrypt(nonce, plaintext, subject.encode())
        return f"v1.{key_id}.{base64.b64encode(nonce + sealed).decode()}"

    def open(self, subject: str, token: str) -> dict[str, Any] | None:
        try:
            version, key_id, body = token.split(".", 2)
        except ValueError:
            return None
        found = self._store.get(subject, key_id) if version == "v1" else None
        if found is None:
            return None
        raw = base64.b64decode(body)
        try:
            data_key = self._unwrap(subject, found[1])
            plaintext = AESGCM(data_key).decrypt(raw[:12], raw[12:], subject.encode())
        except InvalidTag:
            return None
        return json.loads(plaintext)

    def shred(self, subject: str) -> None:
        self._store.delete(subject)

    def _key_for(self, subject: str) -> tuple[str, bytes]:
        found = self._store.get(subject)
        if found is None:
            data_key = AESGCM.generate_key(256)
            nonce = os.urandom(12)
            wrapped = nonce + self._master.encrypt(nonce, data_key, subject.encode())
            found = self._store.add(subject, uuid.uuid4().hex, wrapped)
        return found[0], self._unwrap(subject, found[1])

    def _unwrap(self, subject: str, wrapped: bytes) -> bytes:
        return self._master.decrypt(wrapped[:12], wrapped[12:], subject.encode())
