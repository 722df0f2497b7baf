"""Bot throughput: updates per second one bot process handles in complete report conversations,
against an echo bot on the same stack (aiogram polling, the same Bot session), in the same run.

    python -m bench.bot_throughput [--users 300] [--concurrency 100] [--rounds 5]

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

from tests.bot.fake_telegram import TOKEN, Call, FakeTelegram, FakeUser

STEPS = ("/report", "tap:Задержание", "Москва", "tap:Сейчас", "tap:3", "tap:Пропустить", "tap:Подтвердить")


# -- the bot process ----------------------------------------------------------------------


def _run_bot(kind: str, api_url: str) -> None:
    asyncio.run(_bot(kind, api_url))


async def _bot(kind: str, api_url: str) -> None:
    from aiogram import Dispatcher

    from infra.bootstrap import build_application
    from infra.bot_part import make_bot, wire
    from infra.crypto import MemoryKeyStore
    from infra.keys import Keys

    telegram = make_bot(TOKEN, api_url)
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

        dp = wire(app, keys, no_checkpoints, None).dispatcher
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


class Replies:
    """Resolves a reporter's waiting future when the bot's reply to it arrives."""

    def __init__(self) -> None:
        self.waiting: dict[object, asyncio.Future] = {}

    def __call__(self, call: Call) -> None:
        if call.method == "answerCallbackQuery":
            key: object = ("cb", call.params.get("callback_query_id"))
        else:
            key = ("chat", int(call.params.get("chat_id", 0)))
        future = self.waiting.pop(key, None)
        if future is not None and not future.done():
            future.set_result(None)

    def expect(self, key: object) -> asyncio.Future:
        future = asyncio.get_running_loop().create_future()
        self.waiting[key] = future
        return future


async def _reporter(tg: FakeTelegram, replies: Replies, user: FakeUser, kind: str) -> int:
    for step in STEPS:
        if kind == "echo":
            update = user.text(step.removeprefix("tap:"))
        elif step.startswith("tap:"):
            update = user.press(step[4:])
        else:
            update = user.text(step)
        query = update.get("callback_query")
        done = replies.expect(("cb", query["id"]) if query else ("chat", user.id))
        await tg.push(update)
        await asyncio.wait_for(done, 60)
    return len(STEPS)


async def measure(kind: str, users: int, concurrency: int) -> Result:
    tg = FakeTelegram()
    replies = Replies()
    tg.on_call = replies
    url = await tg.start()
    process = multiprocessing.get_context("spawn").Process(target=_run_bot, args=(kind, url), daemon=True)
    process.start()
    try:
        # Warm up: the bot has started polling and answered once.
        await _reporter(tg, replies, FakeUser(tg, 1, language_code="ru"), kind)
        gate = asyncio.Semaphore(concurrency)

        async def one(n: int) -> int:
            async with gate:
                return await _reporter(tg, replies, FakeUser(tg, 10_000 + n, language_code="ru"), kind)

        started, cpu = time.perf_counter(), cpu_seconds(process.pid)
        handled = sum(await asyncio.gather(*(one(n) for n in range(users))))
        return Result(kind, handled, time.perf_counter() - started, cpu_seconds(process.pid) - cpu)
    finally:
        process.terminate()
        process.join(10)
        await tg.stop()


async def main(users: int, concurrency: int, rounds: int) -> None:
    print(f"{users} reporters x {len(STEPS)} updates, {concurrency} at a time, {os.cpu_count()} CPUs")
    print("round   echo wall  svodka wall  ratio   echo/CPU-s  svodka/CPU-s  ratio")
    wall, cpu = [], []
    for n in range(1, rounds + 1):
        # Interleaved, so drift on a shared machine hits both alike; each round is its own ratio.
        echo = await measure("echo", users, concurrency)
        bot = await measure("svodka", users, concurrency)
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
    args = parser.parse_args()
    asyncio.run(main(args.users, args.concurrency, args.rounds))
