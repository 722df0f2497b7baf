"""An alert wave, for the wave test and bench/alerts_fanout.py: many subscribers to Kursk, a checkpoint
there made credible, and a count of the alerts the loopback Bot API accepted, per chat."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import datetime, timezone
from uuid import UUID

import asyncpg

from domain.application import NewReport, Svodka
from infra.bot_part import pseudonymizer
from infra.keys import Keys
from projections import alert_store
from projections.outbox import Follower
from projections.projector import Projector
from tests.bot.fake_telegram import Call

AREA = "region:RU-KRS"
ALERT = "🚧"


async def subscribe(app: Svodka, conn: asyncpg.Connection, keys: Keys, chats: range, lang: str = "ru") -> None:
    """As /alerts would keep them (reference, chat sealed with the reporter's key), in bulk."""
    pseudonym = pseudonymizer(keys)

    def sealed() -> list[tuple[str, str, str, str]]:
        rows = []
        for chat in chats:
            reference = app.reporter_reference(pseudonym(chat), create=True)
            assert reference is not None
            rows.append((reference, app.vault.seal(reference, {"chat": chat}), lang, AREA))
        return rows

    await alert_store.subscribe_many(conn, await asyncio.to_thread(sealed))


async def make_credible(app: Svodka, conn: asyncpg.Connection, follower: Follower, ref: str = "wave") -> UUID:
    """A checkpoint in Kursk confirmed by two reporters, folded: its alerts are in the outbox."""
    rid = app.submit(NewReport(kind="checkpoint", channel="t", client_ref=ref, occurred_at=datetime.now(timezone.utc),
                               lat=51.73, lon=36.19, reporter="submitter")).id  # fmt: skip
    app.confirm_checkpoint(rid, by="first")
    app.confirm_checkpoint(rid, by="second")
    await Projector(app.mapper).catch_up(conn)
    await follower.catch_up(conn)
    return rid


class Alerts:
    """FakeTelegram.on_call: alerts accepted, per chat, and a wait for a total."""

    def __init__(self) -> None:
        self.per_chat: Counter[int] = Counter()
        self.total = 0
        self._goals: list[tuple[int, asyncio.Event]] = []

    def __call__(self, call: Call) -> None:
        if call.method == "sendMessage" and str(call.params.get("text", "")).startswith(ALERT):
            self.per_chat[int(call.params["chat_id"])] += 1
            self.total += 1
            for goal, reached in self._goals:
                if self.total >= goal:
                    reached.set()

    async def reached(self, total: int, timeout: float) -> None:
        reached = asyncio.Event()
        self._goals.append((total, reached))
        if self.total >= total:
            reached.set()
        await asyncio.wait_for(reached.wait(), timeout)
