"""API tokens issued without a restart (`svodka tokens`, infra/tokens_cli.py).

A token is shown once, when it is issued; the database keeps only its SHA-256
(api/stored_tokens.py reads it, and every API worker picks changes up within seconds).
Issuing and revoking are logged with the token's name, never the token.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import psycopg

from api.stored_tokens import CREATE, TABLE, token_hash
from infra.database import Database

log = logging.getLogger("svodka.tokens")
Role = Literal["operator", "moderator"]


class TokenExists(Exception):
    pass


@dataclass(frozen=True, slots=True)
class IssuedToken:
    name: str
    role: str
    created_at: datetime
    last_used_at: datetime | None


def issue(db: Database, name: str, role: Role) -> str:
    """A new random token for `name`; only its hash is stored. Raises TokenExists for a taken name."""
    token = secrets.token_urlsafe(32)
    with db.connect(autocommit=True) as conn:
        conn.execute(CREATE)
        try:
            conn.execute(f"INSERT INTO {TABLE} (name, role, token_sha256) VALUES (%s, %s, %s)",
                         (name, role, token_hash(token)))  # fmt: skip
        except psycopg.errors.UniqueViolation:
            raise TokenExists(name) from None
    log.info("token issued", extra={"token_name": name, "role": role})
    return token


def listing(db: Database) -> list[IssuedToken]:
    with db.connect(autocommit=True) as conn:
        conn.execute(CREATE)
        rows = conn.execute(f"SELECT name, role, created_at, last_used_at FROM {TABLE} ORDER BY name").fetchall()
    return [IssuedToken(*row) for row in rows]


def revoke(db: Database, name: str) -> bool:
    with db.connect(autocommit=True) as conn:
        conn.execute(CREATE)
        gone = conn.execute(f"DELETE FROM {TABLE} WHERE name = %s", (name,)).rowcount > 0
    if gone:
        log.info("token revoked", extra={"token_name": name})
    return gone
