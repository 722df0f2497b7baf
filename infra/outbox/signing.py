"""Partner webhooks' secrets and signatures (the recipe README gives partners to check them).

A webhook's secret is derived from a server key and the webhook's id, so no table holds it:
shown once at registration, recomputed when signing. A delivery is signed as
`HMAC-SHA256(secret, timestamp + "." + body)`, hex, sent as `X-Svodka-Signature: sha256=<hex>`
beside `X-Svodka-Timestamp` (Unix seconds) and `X-Svodka-Delivery` (the id to deduplicate by).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from uuid import UUID

SIGNATURE = "X-Svodka-Signature"
TIMESTAMP = "X-Svodka-Timestamp"
DELIVERY = "X-Svodka-Delivery"
TOLERANCE_SECONDS = 300  # what the recipe tells partners to accept, against replays


def partner_secret(key: bytes, webhook: UUID) -> str:
    digest = hmac.new(key, b"webhook secret\x00" + webhook.bytes, hashlib.sha256).digest()
    return "whsec_" + base64.urlsafe_b64encode(digest).decode().rstrip("=")


def signature(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def headers(secret: str, delivery: UUID, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        DELIVERY: str(delivery),
        TIMESTAMP: str(timestamp),
        SIGNATURE: signature(secret, timestamp, body),
        "User-Agent": "svodka-webhooks/1",
    }
