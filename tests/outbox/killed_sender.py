"""A sender process that SIGKILLs itself after its third delivery was taken, before marking it sent."""

import asyncio
import os
import signal

import asyncpg

from infra.outbox.sender import Sender

delivered = 0


async def kill_on_third(row_id: int) -> None:
    global delivered
    delivered += 1
    if delivered == 3:
        os.kill(os.getpid(), signal.SIGKILL)


async def main() -> None:
    pool = await asyncpg.create_pool(
        os.environ["KILL_URL"], server_settings={"search_path": f"{os.environ['KILL_SCHEMA']},public"}
    )
    sender = Sender(bytes.fromhex(os.environ["KILL_KEY"]), before_mark=kill_on_third)
    while True:
        await sender.drain(pool)
        await asyncio.sleep(0.05)


asyncio.run(main())
