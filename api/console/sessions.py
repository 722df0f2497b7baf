"""Console sessions: a random id in the browser's cookie, who it is and its CSRF token on the server.

The browser never holds the token it signed in with; the server never holds the session id
itself, only its SHA-256 (a dump of Redis or of the table opens no session). Every worker
shares the sessions: in Redis when it is configured, else in a PostgreSQL table. A session
ends after `idle` without a request, or when its moderator or operator signs out.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

import asyncpg

from api.auth import Role

TABLE = "console_sessions"
CREATE = f"""
CREATE TABLE IF NOT EXISTS {TABLE} (
    id_sha256 bytea PRIMARY KEY,
    role text NOT NULL CHECK (role IN ('operator', 'moderator')),
    name text NOT NULL,
    csrf text NOT NULL,
    last_seen_at timestamptz NOT NULL DEFAULT now()
)"""
IDLE = timedelta(hours=8)


@dataclass(frozen=True, slots=True)
class Session:
    role: Role
    name: str  # the token's name, recorded on every decision as the API records it
    csrf: str  # bound to this session; every state-changing form carries it


def _key(sid: str) -> bytes:
    return hashlib.sha256(sid.encode()).digest()


def new_session(role: Role, name: str) -> tuple[str, Session]:
    return secrets.token_urlsafe(32), Session(role, name, secrets.token_urlsafe(32))


class Sessions(Protocol):
    async def create(self, role: Role, name: str) -> tuple[str, Session]: ...
    async def get(self, sid: str) -> Session | None: ...  # and counts as use: the idle clock restarts
    async def revoke(self, sid: str) -> None: ...
    async def close(self) -> None: ...


class RedisSessions:
    def __init__(self, url: str, prefix: str, idle: timedelta = IDLE) -> None:
        import redis.asyncio as redis

        self._redis = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2, max_connections=8)
        self._prefix = f"{prefix}console:session:"
        self._idle_ms = int(idle.total_seconds() * 1000)

    def _name(self, sid: str) -> str:
        return self._prefix + _key(sid).hex()

    async def create(self, role: Role, name: str) -> tuple[str, Session]:
        sid, session = new_session(role, name)
        key = self._name(sid)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(key, mapping={"role": role, "name": name, "csrf": session.csrf})
            pipe.pexpire(key, self._idle_ms)
            await pipe.execute()
        return sid, session

    async def get(self, sid: str) -> Session | None:
        key = self._name(sid)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hgetall(key)
            pipe.pexpire(key, self._idle_ms)  # a no-op on a key that has expired
            found, _ = await pipe.execute()
        if not found:
            return None
        fields = {k.decode(): v.decode() for k, v in found.items()}
        return Session(fields["role"], fields["name"], fields["csrf"])  # type: ignore[arg-type]

    async def revoke(self, sid: str) -> None:
        await self._redis.delete(self._name(sid))

    async def close(self) -> None:
        await self._redis.aclose()


class PostgresSessions:
    """The table is created by whoever prepares the database (infra), or on first open here."""

    def __init__(self, pool: asyncpg.Pool, idle: timedelta = IDLE) -> None:
        self.pool, self.idle = pool, idle

    @staticmethod
    async def prepare(conn: asyncpg.Connection) -> None:
        # Only when missing: a `--workers` process may not run DDL, and its parent made the table.
        if await conn.fetchval("SELECT to_regclass($1)", TABLE) is None:
            await conn.execute(CREATE)

    async def create(self, role: Role, name: str) -> tuple[str, Session]:
        sid, session = new_session(role, name)
        async with self.pool.acquire() as conn:
            await self.prepare(conn)
            # Expired sessions go as new ones come: no sweeper process to run.
            await conn.execute(f"DELETE FROM {TABLE} WHERE last_seen_at < now() - $1::interval", self.idle)
            await conn.execute(f"INSERT INTO {TABLE} (id_sha256, role, name, csrf) VALUES ($1, $2, $3, $4)",
                               _key(sid), role, name, session.csrf)
        return sid, session

    async def get(self, sid: str) -> Session | None:
        async with self.pool.acquire() as conn:
            if await conn.fetchval("SELECT to_regclass($1)", TABLE) is None:
                return None
            row = await conn.fetchrow(
                f"UPDATE {TABLE} SET last_seen_at = now() WHERE id_sha256 = $1 "
                "AND last_seen_at >= now() - $2::interval RETURNING role, name, csrf",
                _key(sid), self.idle,
            )
        return Session(row["role"], row["name"], row["csrf"]) if row else None

    async def revoke(self, sid: str) -> None:
        async with self.pool.acquire() as conn:
            if await conn.fetchval("SELECT to_regclass($1)", TABLE) is not None:
                await conn.execute(f"DELETE FROM {TABLE} WHERE id_sha256 = $1", _key(sid))

    async def close(self) -> None:
        pass  # the pool is the API's
