"""One active worker per database: it holds a session advisory lock, the others wait as hot standbys.

The projector's pattern, for the outbox follower, the sender and the bulletin scheduler: closing
the session (a clean stop, a crash, kill -9) releases the lock, and a standby takes over.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

import asyncpg

from projections.projector import connect


async def hold_and_run(
    url: str,
    db_schema: str,
    name: str,
    work: Callable[[asyncpg.Connection], Awaitable[None]],
    *,
    standby: float = 1.0,
    log: logging.Logger,
) -> None:
    """Until cancelled: take the lock named `name` (or wait for it), then run `work` on the locked
    session; an interrupted session or a failure is logged and retried, never silently ended."""
    lock = f"SELECT pg_try_advisory_lock(hashtext(current_schema() || ':{name}'))"
    while True:
        try:
            conn = await connect(url, db_schema, name.replace(" ", "-"))
            try:
                while not await conn.fetchval(lock):
                    await asyncio.sleep(standby)
                log.info("%s active", name, extra={"schema": db_schema})
                await work(conn)
            finally:
                await conn.close()  # releases the lock: a standby takes over
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
            log.warning("%s interrupted; resuming", name, extra={"error": str(error)})
            await asyncio.sleep(standby)
        except Exception:
            log.exception("%s failed; retrying", name)
            await asyncio.sleep(10 * standby)
