"""A projector killed between its writes and its commit leaves no trace; the next one resumes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from projections import queries, schema
from projections.projector import Projector
from projections.replay import replay
from tests.projections.conftest import detention, project

KILLED_PROJECTOR = Path(__file__).with_name("killed_projector.py")


class Crash(Exception):
    pass


def submit_some(app, start: int, count: int) -> None:
    for i in range(start, start + count):
        sub = app.submit(detention(f"x{i}", detained=1 + i % 5, reporter=f"{i % 7:064d}"))
        if i % 3 == 0:
            app.verify(sub.id, moderator="m")
        if i % 11 == 0:
            app.reject(sub.id, moderator="m", reason="fake")


async def test_a_fault_before_commit_rolls_the_whole_batch_back(db, store_app, conn, projector):
    submit_some(store_app, 0, 30)
    await project(conn, Projector(store_app.mapper, batch_size=10))
    before = await queries.stats(conn)
    submit_some(store_app, 30, 30)

    async def crash(position: int) -> None:
        raise Crash(position)

    with pytest.raises(Crash):
        await Projector(store_app.mapper, batch_size=10, before_commit=crash).catch_up(conn)
    assert await queries.stats(conn) == before  # nothing of the failed batch is visible

    await projector.catch_up(conn)
    outcome = await replay(db.url, db.schema, store_app.mapper, verify=True)
    assert outcome.differences == [] and outcome.position == (await queries.as_of(conn)).position


@pytest.mark.slow
async def test_a_projector_process_killed_mid_batch_is_resumed_exactly_once(db, store_app, conn, keys):
    submit_some(store_app, 0, 120)
    await schema.create(conn)
    env = dict(os.environ, KILL_SCHEMA=db.schema, KILL_URL=db.url, KILL_KEY=keys.master_key.hex(), KILL_SECRET=keys.secret.hex())
    # The child folds two batches, then is SIGKILLed between its writes and its commit.
    child = subprocess.run([sys.executable, str(KILLED_PROJECTOR)], env=env, timeout=60)
    assert child.returncode == -9
    position = (await queries.as_of(conn)).position
    assert 0 < position < 120

    await Projector(store_app.mapper, batch_size=25).catch_up(conn)
    outcome = await replay(db.url, db.schema, store_app.mapper, verify=True)
    assert outcome.differences == []
    assert outcome.position == (await queries.as_of(conn)).position

