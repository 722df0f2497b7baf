"""`svodka replay` rebuilds the bulletins /v1/bulletins serves from the log, and --verify compares them."""

from __future__ import annotations

from projections.replay import replay
from tests.bulletins.conftest import FakeClock, settle
from tests.bulletins.test_schedule import at, detention


async def test_bulletins_survive_a_replay_and_a_lost_or_altered_table_is_rebuilt(
    application, conn, follower, make_scheduler, http, db
):
    application.submit(detention("a", "Москва", 5))
    await settle(conn, application, follower)
    clock = FakeClock(at(12, 0))
    scheduler = make_scheduler(clock)
    assert await scheduler.tick(conn) is not None
    application.submit(detention("b", "Курск", 2, hour=13))
    await settle(conn, application, follower)
    clock.set(at(18, 0))
    assert await scheduler.tick(conn) is not None
    await settle(conn, application, follower)
    served = http.get("/v1/bulletins").json()
    assert len(served["bulletins"]) == 2

    assert (await replay(db.url, db.schema, application.mapper)).differences == []
    assert http.get("/v1/bulletins").json() == served

    await conn.execute("UPDATE bulletins SET late = NOT late WHERE position = (SELECT min(position) FROM bulletins)")
    await conn.execute("DELETE FROM bulletins WHERE position = (SELECT max(position) FROM bulletins)")
    differences = (await replay(db.url, db.schema, application.mapper, verify=True)).differences
    assert sorted(d.split()[1] for d in differences) == ["differs", "replay"], differences
    await replay(db.url, db.schema, application.mapper)
    assert http.get("/v1/bulletins").json() == served
    for bulletin in served["bulletins"]:
        assert http.get(f"/v1/bulletins/{bulletin['id']}").json() == bulletin
