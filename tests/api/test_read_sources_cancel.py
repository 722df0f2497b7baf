"""A read cancelled at any point gives its connection back: the API's shutdown cancels the read
model's poller mid-query, and one connection kept out of the pool made `Pool.close()` wait forever
(`svodka serve` then ignored Ctrl-C, as CI saw once)."""

from __future__ import annotations

import asyncio
import os

import asyncpg
import pytest

from api.metrics import Metrics
from api.replicas import ReadSources

URL = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")


@pytest.mark.parametrize("snapshot", [False, True])
async def test_a_read_cancelled_at_any_step_releases_its_connection(snapshot: bool) -> None:
    pool = await asyncpg.create_pool(URL, min_size=1, max_size=1)
    reads = ReadSources(pool, [], Metrics(None), retry_seconds=1)

    async def read() -> None:
        async with reads.acquire(snapshot=snapshot) as conn:
            await conn.fetchval("SELECT 1")

    try:
        # Every cancellation point from acquiring to releasing, one event-loop step at a time.
        for steps in range(60):
            task = asyncio.create_task(read())
            for _ in range(steps):
                await asyncio.sleep(0)
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            # The pool has one connection: if the cancelled read kept it, this waits in vain.
            try:
                conn = await pool.acquire(timeout=5)
            except TimeoutError:
                pytest.fail(f"a read cancelled after {steps} steps kept its connection")
            await pool.release(conn)
        await asyncio.wait_for(pool.close(), 10)
    finally:
        pool.terminate()
