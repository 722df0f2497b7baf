"""A crowd of simulated reporters against the loopback Bot API, for surge tests and bench/.

Each reporter sends one update, waits until it can see the bot's reply (a tap's answer, and
the panel edit that follows unless the answer said it all), then sends the next.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from tests.bot.fake_telegram import Call, FakeTelegram, FakeUser

# A whole detention report: 7 updates, 7 panel sends or edits, 5 tap answers.
REPORT = ("/report", "tap:Задержание", "Москва", "tap:Сейчас", "tap:3", "tap:Пропустить", "tap:Подтвердить")


class Crowd:
    def __init__(self, tg: FakeTelegram) -> None:
        self.tg = tg
        self.inbox: dict[int, asyncio.Queue[Call]] = defaultdict(asyncio.Queue)
        self.queries: dict[str, int] = {}  # callback query id -> the chat it came from
        tg.on_call = self._route

    def _route(self, call: Call) -> None:
        if call.method == "answerCallbackQuery":
            chat = self.queries.get(call.params["callback_query_id"])
        else:
            chat = int(call.params.get("chat_id", 0))
        if chat:
            self.inbox[chat].put_nowait(call)

    async def step(self, user: FakeUser, update: dict[str, Any], timeout: float = 300) -> None:
        inbox = self.inbox[user.id]
        while not inbox.empty():  # anything late from an earlier step
            inbox.get_nowait()
        query = update.get("callback_query")
        if query is not None:
            self.queries[query["id"]] = user.id
        await self.tg.push(update)
        answered, shown = query is None, False
        async with asyncio.timeout(timeout):
            while not (answered and shown):
                call = await inbox.get()
                if call.method == "answerCallbackQuery":
                    answered = True
                    shown = shown or bool(call.params.get("show_alert"))
                elif call.method not in ("deleteMessage", "deleteMessages"):
                    shown = True  # a deletion only tidies; the reply is the message that follows it

    async def walk(self, user: FakeUser, steps: Sequence[str] = REPORT) -> None:
        for step in steps:
            update = user.press(step[4:]) if step.startswith("tap:") else user.text(step)
            await self.step(user, update)

    def answers_per_tap(self) -> dict[str, int]:
        counts = dict.fromkeys(self.queries, 0)
        for call in self.tg.answers():
            counts[call.params["callback_query_id"]] = counts.get(call.params["callback_query_id"], 0) + 1
        return counts
