"""Bot throughput: updates per second one bot process handles in complete report conversations,
against an echo bot on the same stack (aiogram polling, the same Bot session), in the same run.

    python -m bench.bot_throughput [--users 300] [--concurrency 100] [--rounds 5] [--redis URL]

The bot runs in its own process, polling a loopback Bot API (tests/bot/fake_telegram.py) that
this process serves; simulated reporters wait for each reply before their next step, as people
do. svodka's bot uses the in-memory event store here: this measures the bot, not PostgreSQL
(the report is submitted off the event loop either way). Results are ratios: the echo bot on
the same machine in the same run is the baseline.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import statistics
import time
from dataclasses import dataclass

from tests.bot.crowd import REPORT as STEPS
from tests.bot.crowd import Crowd
from tests.bot.fake_telegram import TOKEN, FakeTelegram, FakeUser


# -- the bot process ----------------------------------------------------------------------


def _run_bot(kind: str, api_url: str, redis_url: str | None = None, limited: bool = False) -> None:
    asyncio.run(_bot(kind, api_url, redis_url, limited))


async def _bot(kind: str, api_url: str, redis_url: str | None, limited: bool) -> None:
    import uuid

    from aiogram import Dispatcher

    from bot.outgoing import FloodControl
    from infra.bootstrap import build_application
    from infra.bot_part import bot_redis, make_bot, wire
    from infra.crypto import MemoryKeyStore
    from infra.keys import Keys
    from infra.settings import Settings

    # The loopback API sets no limits here unless asked, so the bot's own queue must not either:
    # this measures the bot's CPU, bench/bot_flood.py its pace under the limits.
    flood = FloodControl() if limited else FloodControl(per_second=1e6, burst=10**6, per_chat_per_second=1e6, chat_burst=10**6)
    telegram = make_bot(TOKEN, api_url, flood)
    if kind == "echo":
        dp = Dispatcher()

        @dp.message()
        async def echo(message) -> None:
            await message.answer(message.text or "…")

    else:
        keys = Keys(secret=os.urandom(32), master_key=os.urandom(32))
        app = build_application(keys, None, MemoryKeyStore())

        async def no_checkpoints(lat: float, lon: float) -> list:
            return []

        redis = bot_redis(redis_url, Settings().bot_redis_connections) if redis_url else None
        dp = wire(app, keys, no_checkpoints, redis, prefix=f"bench-{uuid.uuid4().hex[:8]}").dispatcher
    await dp.start_polling(telegram, handle_signals=False, polling_timeout=1)


# -- the reporters ----------------------------------------------------------------------------


@dataclass
class Result:
    kind: str
    updates: int
    seconds: float  # wall clock
    cpu_seconds: float  # the bot process's own CPU time over the same window

    @property
    def rate(self) -> float:
        return self.updates / self.seconds

    @property
    def capacity(self) -> float:
        """Updates per second of the bot's CPU: what one process does with a core to itself."""
        return self.updates / self.cpu_seconds


def cpu_seconds(pid: int) -> float:
    """user + system time of a process, from /proc (Linux)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _reporter(crowd: Crowd, user: FakeUser, kind: str) -> int:
    for step in STEPS:
        if kind == "echo":
            update = user.text(step.removeprefix("tap:"))
        elif step.startswith("tap:"):
            update = user.press(step[4:])
        else:
            update = user.text(step)
        await crowd.step(user, update, timeout=60)
    return len(STEPS)


async def measure(kind: str, users: int, concurrency: int, redis_url: str | None = None) -> Result:
    tg = FakeTelegram()
    crowd = Crowd(tg)
    url = await tg.start()
    process = multiprocessing.get_context("spawn").Process(target=_run_bot, args=(kind, url, redis_url), daemon=True)
    process.start()
    try:
        # Warm up: the bot has started polling and answered once.
        await _reporter(crowd, FakeUser(tg, 1, language_code="ru"), kind)
        gate = asyncio.Semaphore(concurrency)

        async def one(n: int) -> int:
            async with gate:
                return await _reporter(crowd, FakeUser(tg, 10_000 + n, language_code="ru"), kind)

        started, cpu = time.perf_counter(), cpu_seconds(process.pid)
        handled = sum(await asyncio.gather(*(one(n) for n in range(users))))
        return Result(kind, handled, time.perf_counter() - started, cpu_seconds(process.pid) - cpu)
    finally:
        process.terminate()
        process.join(10)
        await tg.stop()


async def main(users: int, concurrency: int, rounds: int, redis_url: str | None = None) -> None:
    print(f"{users} reporters x {len(STEPS)} updates, {concurrency} at a time, {os.cpu_count()} CPUs, Redis: {redis_url or 'no'}")
    print("round   echo wall  svodka wall  ratio   echo/CPU-s  svodka/CPU-s  ratio")
    wall, cpu = [], []
    for n in range(1, rounds + 1):
        # Interleaved, so drift on a shared machine hits both alike; each round is its own ratio.
        echo = await measure("echo", users, concurrency)
        bot = await measure("svodka", users, concurrency, redis_url)
        wall.append(bot.rate / echo.rate)
        cpu.append(bot.capacity / echo.capacity)
        print(
            f"{n:5}  {echo.rate:8.0f}/s  {bot.rate:9.0f}/s  {wall[-1]:5.0%}  "
            f"{echo.capacity:9.0f}/s  {bot.capacity:10.0f}/s  {cpu[-1]:5.0%}",
            flush=True,
        )
    print(f"median ratio: wall clock {statistics.median(wall):.0%}, per CPU-second {statistics.median(cpu):.0%}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--redis", default=None, help="svodka's bot keeps its state here (a test database: keys are left)")
    args = parser.parse_args()
    asyncio.run(main(args.users, args.concurrency, args.rounds, args.redis))
