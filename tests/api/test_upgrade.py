"""The upgrade path: new code on a read model built by an earlier release is told to replay, and
the replay swaps the new model in while the running API keeps answering."""

from __future__ import annotations

import asyncio
import threading

import psycopg
import pytest

from projections import schema
from projections.projector import connect
from projections.replay import replay
from tests.api.conftest import detention, operator, project, settled


async def _create(db) -> None:
    conn = await connect(db.url, db.schema)
    try:
        await schema.create(conn)
    finally:
        await conn.close()


def test_an_old_read_model_is_refused_until_a_replay_swaps_in_while_the_api_serves(http, db, application):
    for detained in (3, 4, 5):
        assert http.post("/v1/reports", json=detention(detained=detained), headers=operator()).status_code == 201
    position = project(db, application)
    before = settled(http, position, kind="detention").json()
    assert before["total"]["unverified"] == 12

    # What an earlier release left: the same tables, no version on them.
    with psycopg.connect(db.url, options=f"-c search_path={db.schema}", autocommit=True) as conn:
        conn.execute("COMMENT ON TABLE rm_tracking IS NULL")
    with pytest.raises(schema.Outdated, match="svodka replay"):
        asyncio.run(_create(db))  # what `svodka project` meets at start, and logs until replayed

    answers: list[tuple[int, int | None, int | None]] = []
    stop = threading.Event()

    def keep_reading() -> None:
        while not stop.is_set():
            answer = http.get("/v1/stats", params={"kind": "detention", "cache": len(answers)})
            body = answer.json() if answer.status_code == 200 else {}
            answers.append((answer.status_code, body.get("as_of", {}).get("position"),
                            body.get("total", {}).get("unverified")))  # fmt: skip

    reader = threading.Thread(target=keep_reading)
    reader.start()
    try:
        outcome = asyncio.run(replay(db.url, db.schema, application.mapper))
    finally:
        stop.set()
        reader.join()
    assert outcome.position == position
    assert answers and {a for a in answers if a[0] != 200} == set()
    # Every answer is the old model or the new one, both complete: never a half-built figure.
    assert {(p, u) for _, p, u in answers} <= {(position, 12)}
    asyncio.run(_create(db))  # the rebuilt model carries this code's version
    assert settled(http, position, kind="detention").json()["total"] == before["total"]
