"""A projector process that SIGKILLs itself after writing its third batch, before the commit."""

import asyncio
import os
import signal

from infra.bootstrap import build_application
from infra.keys import Keys
from projections.projector import Projector, connect

batches = 0


async def kill_on_third(position: int) -> None:
    global batches
    batches += 1
    if batches == 3:
        os.kill(os.getpid(), signal.SIGKILL)


async def main() -> None:
    keys = Keys(secret=bytes.fromhex(os.environ["KILL_SECRET"]), master_key=bytes.fromhex(os.environ["KILL_KEY"]))
    mapper = build_application(keys, None).mapper
    conn = await connect(os.environ["KILL_URL"], os.environ["KILL_SCHEMA"])
    await Projector(mapper, batch_size=25, before_commit=kill_on_third).catch_up(conn)


asyncio.run(main())
