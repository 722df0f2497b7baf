"""Reports per minute under Telegram's flood limits, against the bound those limits set.

    python -m bench.bot_flood [--users 300] [--redis URL]

The loopback Bot API (tests/bot/fake_telegram.py) enforces about 30 messages a second overall
and 1 a second per chat (bursts of 3), answering 429 with retry_after as Telegram does. The bot
runs in its own process with its production outgoing path (bot/outgoing.py). Every reporter
starts /report at once and walks a whole detention report, pausing 1-3 s to read before each
step, as people do. A report costs 7 counted calls (one send, six edits; tap answers are not
counted), so the bound is 30 / 7 reports a second. Reported: completed reports per minute from
the first /report to the last receipt, and the ratio to the bound (goal: at least 0.9), with
every report completed, no apology and every tap answered once.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import random
import time

from bench.bot_throughput import _run_bot
from tests.bot.crowd import REPORT, Crowd
from tests.bot.fake_telegram import FakeTelegram, FakeUser, FloodLimits

COUNTED_CALLS_PER_REPORT = 7


async def main(users: int, redis_url: str | None) -> None:
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
    apologies = [c for c in calls if "пошло не так" in str(c.params.get("text", ""))]
    taps = crowd.answers_per_tap()
    counted = [c for c in calls if c.method in ("sendMessage", "editMessageText")]
    per_minute = users / seconds * 60
    bound = limits.per_second / COUNTED_CALLS_PER_REPORT * 60
    print(f"{users} reporters, Redis: {redis_url or 'no'}; limits {limits.per_second:.0f}/s, "
          f"{limits.per_chat_per_second:.0f}/s per chat (bursts of {limits.chat_burst:.0f})")
    print(f"completed {users} of {users} reports in {seconds:.1f} s: {per_minute:.0f} reports/min")
    print(f"bound {bound:.0f} reports/min (30/s / {COUNTED_CALLS_PER_REPORT} calls); ratio {per_minute / bound:.2f}")
    print(f"counted calls {len(counted)} ({len(counted) / users:.2f} per report), answered 429: {len(tg.refused)}, "
          f"apologies: {len(apologies)}, taps answered other than once: {sum(1 for n in taps.values() if n != 1)}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=300)
    parser.add_argument("--redis", default=None, help="svodka's bot keeps its state here (a test database)")
    args = parser.parse_args()
    asyncio.run(main(args.users, args.redis))
