"""kill -9 of the sender loses nothing: what it had sent but not marked is sent again, with the same
delivery id for the partner to deduplicate, and everything else exactly once, in order."""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

from domain.application import NewReport
from tests.outbox.conftest import drain_until, settle
from tests.outbox.test_delivery import register

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
async def test_a_killed_sender_loses_nothing(application, conn, follower, sender, pool, receiver, http, db,
                                            partner_key):
    register(http, receiver.url, topics=("checkpoints",))
    await settle(conn, application, follower)
    for i in range(6):
        report = application.submit(NewReport(kind="checkpoint", channel="t", client_ref=f"cp{i}", lat=51.73 + i / 50,
                                              lon=36.19, occurred_at=datetime.now(timezone.utc)))  # fmt: skip
        application.verify(report.id, moderator="anna")
    await settle(conn, application, follower)
    expected = [str(r["delivery"]) for r in await conn.fetch("SELECT delivery FROM outbox ORDER BY id")]
    assert len(expected) == 6

    env = {**os.environ, "KILL_URL": db.url, "KILL_SCHEMA": db.schema, "KILL_KEY": partner_key.hex(),
           "PYTHONPATH": str(ROOT)}  # fmt: skip
    killed = await asyncio.create_subprocess_exec(sys.executable, str(ROOT / "tests/outbox/killed_sender.py"), env=env)
    assert await asyncio.wait_for(killed.wait(), 120) == -9
    assert len(receiver.received) == 3
    assert await conn.fetchval("SELECT count(*) FROM outbox WHERE state = 'sent'") == 2  # the third was not marked

    await drain_until(sender, pool, lambda: len(set(receiver.deliveries())) == 6)
    got = receiver.deliveries()
    assert got == expected[:3] + expected[2:]  # the unmarked one again, then the rest, in order
    assert await conn.fetchval("SELECT count(*) FROM outbox WHERE state = 'sent'") == 6
