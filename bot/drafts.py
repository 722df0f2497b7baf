"""Conversation drafts sealed for Redis.

A draft holds what the reporter typed (city, time, count, description) for up to an hour, and an
operator's Redis may write it to disk (RDB, AOF) or to a replica: the brief wants free text
encrypted at rest wherever it rests. AES-GCM under a key derived from the master key; aiogram's
RedisStorage takes these as its `json_dumps`/`json_loads`.
"""

from __future__ import annotations

import base64
import json
import os
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

SEALED = "s1."


class DraftSeal:
    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(key)

    def dumps(self, data: dict[str, Any]) -> str:
        nonce = os.urandom(12)
        plaintext = json.dumps(data, separators=(",", ":")).encode()
        return SEALED + base64.b64encode(nonce + self._aead.encrypt(nonce, plaintext, None)).decode()

    def loads(self, text: str) -> dict[str, Any]:
        if not text.startswith(SEALED):
            return json.loads(text)  # written before drafts were sealed; gone within the hour
        raw = base64.b64decode(text[len(SEALED):])
        try:
            return json.loads(self._aead.decrypt(raw[:12], raw[12:], None))
        except InvalidTag:
            return {}  # sealed under a master key since rotated: the draft is lost, as after its hour
