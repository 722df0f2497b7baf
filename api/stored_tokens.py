"""Tokens issued with `svodka tokens add`: the API's view of the `api_tokens` table.

Only a SHA-256 of each token is stored (tokens are 256 random bits, so a fast hash is enough).
Every worker reloads the table every few seconds, so an added or revoked token takes effect
without a restart; last use is written back at most once a minute per token, off the request path.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from datetime import datetime, timezone

import asyncpg

log = logging.getLogger("svodka.api")
TABLE = "api_tokens"
CREATE = f"""
CREATE TABLE IF NOT EXISTS {TABLE} (
    name text PRIMARY KEY,
    role text NOT NULL CHECK (role IN ('operator', 'moderator')),
    token_sha256 bytea NOT NULL UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz
)"""
LAST_USE_EVERY_SECONDS = 60.0


def token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


class StoredTokens:
    """hash -> (role, name), reloaded every `refresh_seconds`; `identify` costs a hash and a dict lookup."""

    def __init__(self, pool: asyncpg.Pool, refresh_seconds: float = 2.0) -> None:
        self.pool = pool
        self.refresh_seconds = refresh_seconds
        self._by_hash: dict[bytes, tuple[str, str]] = {}
        self._used: dict[str, datetime] = {}  # name -> last use not yet written
        self._written: dict[str, datetime] = {}
        self._task: asyncio.Task[None] | None = None

    def identify(self, token: str) -> tuple[str, str] | None:
        """(role, name) of a stored token, or None."""
        found = self._by_hash.get(token_hash(token))
        if found is not None:
            self._used[found[1]] = datetime.now(timezone.utc)
        return found

    def holds(self, role: str, name: str) -> bool:
        return (role, name) in self._by_hash.values()

    async def refresh(self) -> None:
        async with self.pool.acquire() as conn:
            if await conn.fetchval("SELECT to_regclass($1)", TABLE) is None:
                self._by_hash = {}  # no token issued yet
                return
            rows = await conn.fetch(f"SELECT name, role, token_sha256 FROM {TABLE}")
            self._by_hash = {bytes(r["token_sha256"]): (r["role"], r["name"]) for r in rows}
            await self._write_last_use(conn)

    async def _write_last_use(self, conn: asyncpg.Connection) -> None:
        now = datetime.now(timezone.utc)
        due = {
            name: at for name, at in self._used.items()
            if (now - self._written.get(name, datetime.min.replace(tzinfo=timezone.utc))).total_seconds()
            >= LAST_USE_EVERY_SECONDS
        }  # fmt: skip
        if not due:
            return
        await conn.executemany(
            f"UPDATE {TABLE} SET last_used_at = greatest(last_used_at, $2) WHERE name = $1", list(due.items())
        )
        for name, at in due.items():
            self._written[name] = now
            if self._used.get(name) == at:
                del self._used[name]

    def start(self) -> None:
        self._task = asyncio.create_task(self._poll(), name="stored tokens")

    async def _poll(self) -> None:
        while True:
            try:
                await self.refresh()
            except (OSError, asyncpg.PostgresError, TimeoutError) as error:
                # Keep the last known set: a database blip must not lock every operator out.
                log.warning("stored tokens unavailable", extra={"error": type(error).__name__})
            await asyncio.sleep(self.refresh_seconds)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
