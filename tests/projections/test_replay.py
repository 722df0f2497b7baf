"""Replay rebuilds from position 0, swaps atomically under a live projector, and --verify
finds any difference between the rebuilt model and the live one."""

from __future__ import annotations

import asyncio
import base64
import os

from typer.testing import CliRunner

from infra.bootstrap import build_application
from infra.cli import cli
from infra.crypto import MemoryKeyStore
from infra.keys import Keys
from projections import queries
from projections.projector import Projector
from projections.replay import replay
from tests.projections.conftest import checkpoint, detention, project, until


async def test_replay_swaps_in_an_equal_model_while_the_live_projector_keeps_following(db, store_app, conn):
    for i in range(60):
        store_app.submit(detention(f"a{i}", detained=i % 4 + 1, reporter=f"{i % 9:064d}"))
    live = asyncio.create_task(Projector(store_app.mapper, batch_size=20).follow(db.url, db.schema, poll=0.05))
    try:
        await until(conn, lambda t: t.reports >= 60)
        outcome = await replay(db.url, db.schema, store_app.mapper, batch_size=7)
        assert outcome.events >= 60
        for i in range(60, 90):  # the live projector carries on, on the swapped-in tables
            store_app.submit(detention(f"a{i}", detained=1, reporter=f"{i % 9:064d}"))
        await until(conn, lambda t: t.reports >= 90)
    finally:
        live.cancel()
        await asyncio.gather(live, return_exceptions=True)
    assert (await queries.stats(conn)).total.reports == 90
    assert (await replay(db.url, db.schema, store_app.mapper, verify=True)).differences == []


async def test_verify_reports_the_first_differences_and_leaves_the_live_model(db, store_app, conn, projector):
    store_app.submit(detention("a", detained=4))
    store_app.submit(checkpoint("b"))
    await project(conn, projector)
    await conn.execute("UPDATE rm_counts SET detained = detained + 1 WHERE kind = 'detention'")
    outcome = await replay(db.url, db.schema, store_app.mapper, verify=True)
    assert [d.split(" ", 3)[:3] for d in outcome.differences] == [
        ["counts:", "live", "only"],
        ["counts:", "replay", "only"],
    ]
    assert (await queries.stats(conn)).total.unverified == 5  # verify never swaps
    assert await conn.fetchval("SELECT to_regclass('rmx_counts')") is None


def test_the_replay_command_rebuilds_and_verifies(db, monkeypatch):
    master = os.urandom(32)
    secret = "s" * 40
    keys = Keys(secret=secret.encode(), master_key=master)
    app = build_application(keys, db, MemoryKeyStore())
    app.submit(detention("a", detained=2))
    app.close()
    for name, value in {
        "DATABASE_URL": db.url,
        "SVODKA_DB_SCHEMA": db.schema,
        "SVODKA_SECRET": secret,
        "SVODKA_MASTER_KEY": base64.b64encode(master).decode(),
    }.items():
        monkeypatch.setenv(name, value)
    runner = CliRunner()
    built = runner.invoke(cli, ["replay"])
    assert built.exit_code == 0, built.output
    assert "Replayed 1 events" in built.output and "is live" in built.output
    checked = runner.invoke(cli, ["replay", "--verify"])
    assert checked.exit_code == 0 and "matches the live one" in checked.output

