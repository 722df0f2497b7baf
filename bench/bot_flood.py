"""Reports per minute under Telegram's flood limits, against the bound those limits set.

    python -m bench.bot_flood [--users 300] [--redis URL] [--rounds 3]

The loopback Bot API (tests/bot/fake_telegram.py) enforces about 30 messages a second overall
and 1 a second per chat (bursts of 3), answering 429 with retry_after as Telegram does. The bot
runs in its own process with its production outgoing path (bot/outgoing.py). Every reporter
starts /report at once and walks a whole detention report, pausing 1-3 s to read before each
step, as people do. The bound is 30 a second divided by the calls the limits count that one
report cost in the run (tap answers are not counted; 8 since the bot tidies the chat after
Confirm, 7 before). Reported: completed reports per minute from the first /report to the last receipt,
and the ratio to the bound (goal: at least 0.9), with every report completed, no apology and
every tap answered once. With --redis, each round runs the bot without Redis, then with it.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import random
import statistics
import time
from dataclasses import dataclass

from bench.bot_throughput import _run_bot
from tests.bot.crowd import REPORT, Crowd
from tests.bot.fake_telegram import UNLIMITED, FakeTelegram, FakeUser, FloodLimits

@dataclass
class Run:
    users: int
    redis: bool
    seconds: float
    counted: int  # calls the limits count (tests/bot/fake_telegram.py UNLIMITED are not)
    refused: int
    apologies: int
    taps_not_once: int
    limits: FloodLimits

    @property
    def per_minute(self) -> float:
        return self.users / self.seconds * 60

    @property
    def calls_per_report(self) -> float:
        return self.counted / self.users

    @property
    def bound(self) -> float:
        """Reports a minute if every counted call went out at the overall limit."""
        return self.limits.per_second / self.calls_per_report * 60

    @property
    def ratio(self) -> float:
        return self.per_minute / self.bound

    def line(self) -> str:
        return (f"{'Redis' if self.redis else 'memory':6}  {self.users}/{self.users} in {self.seconds:6.1f} s  "
                f"{self.per_minute:4.0f}/min  bound {self.bound:4.0f}/min ({self.calls_per_report:.2f} calls a report)  "
                f"ratio {self.ratio:.2f}  429s {self.refused}  apologies {self.apologies}  "
                f"taps not answered once {self.taps_not_once}")


async def measure(users: int, redis_url: str | None) -> Run:
    limits = FloodLimits()
    tg = FakeTelegram(limits=limits)
    crowd = Crowd(tg)
    url = await tg.start()
    process = multiprocessing.get_context("spawn").Process(
        target=_run_bot, args=("svodka", url, redis_url, True), daemon=True
    )
    process.start()
    pauses = random.Random(19)
    try:
        await crowd.walk(FakeUser(tg, 1))  # warm up: the bot polls and has answered once
        warm_calls = len(tg.calls)
        warm_refused = len(tg.refused)
        warm_queries = set(crowd.queries)

        async def reporter(n: int) -> float:
            user = FakeUser(tg, 10_000 + n)
            for step in REPORT:
                if step != REPORT[0]:
                    await asyncio.sleep(pauses.uniform(1, 3))
                update = user.press(step[4:]) if step.startswith("tap:") else user.text(step)
                await crowd.step(user, update, timeout=600)
            assert "сохранён" in tg.last_text(user.id), tg.last_text(user.id)
            return time.perf_counter()

        started = time.perf_counter()
        finished = await asyncio.gather(*(reporter(n) for n in range(users)))
        seconds = max(finished) - started
    finally:
        process.terminate()
        process.join(10)
        await tg.stop()
    calls = tg.calls[warm_calls:]
    return Run(
        users=users,
        redis=redis_url is not None,
        seconds=seconds,
        counted=sum(1 for c in calls if c.method not in UNLIMITED),  # a refused call is not recorded
        refused=len(tg.refused) - warm_refused,
        apologies=sum(1 for c in calls if "пошло не так" in str(c.params.get("text", ""))),
        taps_not_once=sum(1 for q, n in crowd.answers_per_tap().items() if n != 1 and q not in warm_queries),
        limits=limits,
    )


async def main(users: int, redis_url: str | None, rounds: int) -> None:
    limits = FloodLimits()
    print(f"{users} reporters; limits {limits.per_second:.0f}/s, {limits.per_chat_per_second:.0f}/s per chat "
          f"(bursts of {limits.chat_burst:.0f}); Redis: {redis_url or 'no'}; load average {os.getloadavg()[0]:.1f}")
    runs: list[Run] = []
    for n in range(1, rounds + 1):
        # Alternating, so a neighbour's load hits both alike.
        for url in (None, redis_url) if redis_url else (None,):
            runs.append(await measure(users, url))
            print(f"round {n}  {runs[-1].line()}  (load average {os.getloadavg()[0]:.1f})", flush=True)
    for redis in sorted({r.redis for r in runs}):
        ratios = [r.ratio for r in runs if r.redis == redis]
        print(f"median ratio to the bound, {'Redis' if redis else 'memory'}: {statistics.median(ratios):.2f} "
              f"({', '.join(f'{x:.2f}' for x in ratios)})")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=300)
    parser.add_argument("--redis", default=None,
                        help="also run with the bot's state here (a test database), alternating with memory")
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    asyncio.run(main(args.users, args.redis, args.rounds))
