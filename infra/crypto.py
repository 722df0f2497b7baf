"""Pseudonyms and envelope encryption of personal fields (crypto-shredding)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import threading
import uuid
from collections.abc import Callable, Collection
from typing import Any, Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM


def pseudonym(secret: bytes, channel: str, raw_id: int | str) -> str:
    """HMAC-SHA256(secret, "<channel>:<id>"): stable per person, useless without the secret."""
    return hmac.new(secret, f"{channel}:{raw_id}".encode(), hashlib.sha256).hexdigest()


def owner_digest(pseudonym: str) -> str:
    """How a key row names its reporter: not the pseudonym itself, and no hash Redis keys share."""
    return hashlib.sha256(f"svodka reporter index\x00{pseudonym}".encode()).hexdigest()


class KeyStore(Protocol):
    """Wrapped data keys, one live key per subject, kept outside the event log.

    A reporter's row also holds `owner` (`owner_digest` of their pseudonym): the only link from
    the pseudonym to the random subject their events carry. Deleting the row cuts it."""

    def get(self, subject: str, key_id: str | None = None) -> tuple[str, bytes] | None: ...
    def get_many(self, subjects: Collection[str]) -> dict[str, tuple[str, bytes]]: ...
    def add(self, subject: str, key_id: str, wrapped: bytes, owner: str | None = None) -> tuple[str, str, bytes]: ...
    def add_many(self, rows: Collection[tuple[str, str, bytes]]) -> dict[str, tuple[str, bytes]]: ...
    def subject_of(self, owner: str) -> str | None: ...
    def delete(self, subject: str) -> None: ...


class MemoryKeyStore:
    def __init__(self) -> None:
        self._keys: dict[str, tuple[str, bytes]] = {}
        self._owners: dict[str, str] = {}  # owner digest -> subject
        self._lock = threading.Lock()

    def get(self, subject: str, key_id: str | None = None) -> tuple[str, bytes] | None:
        found = self._keys.get(subject)
        if found is None or (key_id is not None and found[0] != key_id):
            return None
        return found

    def add(self, subject: str, key_id: str, wrapped: bytes, owner: str | None = None) -> tuple[str, str, bytes]:
        with self._lock:
            if owner is not None:
                subject = self._owners.setdefault(owner, subject)
            return (subject, *self._keys.setdefault(subject, (key_id, wrapped)))

    def get_many(self, subjects: Collection[str]) -> dict[str, tuple[str, bytes]]:
        return {s: self._keys[s] for s in subjects if s in self._keys}

    def add_many(self, rows: Collection[tuple[str, str, bytes]]) -> dict[str, tuple[str, bytes]]:
        with self._lock:
            return {subject: self._keys.setdefault(subject, (key_id, wrapped)) for subject, key_id, wrapped in rows}

    def subject_of(self, owner: str) -> str | None:
        return self._owners.get(owner)

    def delete(self, subject: str) -> None:
        with self._lock:
            self._keys.pop(subject, None)
            self._owners = {o: s for o, s in self._owners.items() if s != subject}


class EnvelopeVault:
    """A data key per subject, wrapped by the master key; deleting it shreds the subject's data.

    Tokens are `v1.<key id>.<base64(nonce | ciphertext)>`; the subject is bound as associated
    data, so a token copied onto another subject's report does not open. A reporter's subject
    is random (`reference`), so their events and the read model name nobody once it is shredded.
    """

    def __init__(self, master_key: bytes, store: KeyStore) -> None:
        self._master = AESGCM(master_key)
        self._store = store

    def reference(self, pseudonym: str, *, create: bool = True) -> str | None:
        """The reporter's random subject, created with their data key; None if absent and not `create`."""
        owner = owner_digest(pseudonym)
        found = self._store.subject_of(owner)
        if found is None and self._store.get(pseudonym) is not None:
            found = pseudonym  # a key from before references: its reports carry the pseudonym
        if found is not None or not create:
            return found
        subject = uuid.uuid4().hex
        # A concurrent first report by the same reporter may win the row: both then use its subject.
        return self._store.add(subject, uuid.uuid4().hex, self.wrap(subject, AESGCM.generate_key(256)), owner)[0]

    def seal(self, subject: str, fields: dict[str, Any]) -> str:
        return self._seal(subject, self._keys_for([subject])[subject], fields)

    def sealer(self, subjects: Collection[str]) -> Callable[[str, dict[str, Any]], str]:
        """Seals for a batch: the subjects' missing keys are created together, in one insert and
        one commit, before this returns, so they are durable before any event that needs them.
        The unwrapped keys live only as long as the returned function (a batch's build); a
        subject not named here gets its key on its own, as `seal` does."""
        keys = self._keys_for(subjects)
        return lambda subject, fields: self._seal(subject, keys.get(subject) or self._keys_for([subject])[subject], fields)

    def _seal(self, subject: str, key: tuple[str, bytes], fields: dict[str, Any]) -> str:
        key_id, data_key = key
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
            data_key = self.unwrap(subject, found[1])
            plaintext = AESGCM(data_key).decrypt(raw[:12], raw[12:], subject.encode())
        except InvalidTag:
            return None
        return json.loads(plaintext)

    def shred(self, subject: str) -> None:
        self._store.delete(subject)

    def wrap(self, subject: str, data_key: bytes) -> bytes:
        nonce = os.urandom(12)
        return nonce + self._master.encrypt(nonce, data_key, subject.encode())

    def unwrap(self, subject: str, wrapped: bytes) -> bytes:
        return self._master.decrypt(wrapped[:12], wrapped[12:], subject.encode())

    def _keys_for(self, subjects: Collection[str]) -> dict[str, tuple[str, bytes]]:
        """(key id, data key) of each subject, the missing ones created in one `add_many`.
        A concurrent batch may win a subject's row: its key is the one returned, and used."""
        found = self._store.get_many(set(subjects)) if subjects else {}
        missing = sorted(set(subjects) - found.keys())
        if missing:
            found |= self._store.add_many(
                [(s, uuid.uuid4().hex, self.wrap(s, AESGCM.generate_key(256))) for s in missing])
        return {s: (key_id, self.unwrap(s, wrapped)) for s, (key_id, wrapped) in found.items()}
