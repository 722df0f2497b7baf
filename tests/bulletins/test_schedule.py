"""A day of bulletins on a clock the test moves: content as /v1/stats says at each position, each time once."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from domain.application import NewReport
from domain.bulletin import bulletin_id
from tests.bulletins.conftest import FakeClock, settle

MSK = ZoneInfo("Europe/Moscow")
# Yesterday in Moscow: every report's time is in the past, whatever hour the suite runs.
DAY = (datetime.now(MSK) - timedelta(days=1)).date()


def at(hour: int, minute: int = 0, day=DAY) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=MSK).astimezone(timezone.utc)


def detention(ref: str, city: str | None, detained: int, region: str | None = None, hour: int = 10) -> NewReport:
    return NewReport(kind="detention", channel="test", client_ref=ref, occurred_at=at(hour), city=city,
                     region=region, detained=detained, reporter=f"reporter-{ref}")


def stats_as_of(http, bulletin: dict) -> dict:
    answer = http.get("/v1/stats", params={"from": DAY.isoformat(), "to": DAY.isoformat(), "group_by": "city",
                                           "as_of": bulletin["as_of"]["recorded_at"]})
    assert answer.status_code == 200, answer.text
    return answer.json()


def check_against_stats(http, bulletin: dict) -> None:
    stats = stats_as_of(http, bulletin)
    figures = bulletin["figures"]
    assert stats["as_of"] == bulletin["as_of"]
    assert figures["day"] == DAY.isoformat()
    assert figures["detentions"] == stats["total"]
    by_city = {g["key"]: {k: g[k] for k in ("verified", "unverified", "reports")} for g in stats["groups"]}
    ranked = sorted((c for c in by_city if c), key=lambda c: (-(by_city[c]["verified"] + by_city[c]["unverified"]), c))
    assert [c["city"] for c in figures["cities"]] == ranked[:2]
    for city in figures["cities"]:
        assert {k: city[k] for k in ("verified", "unverified", "reports")} == by_city[city["city"]]
    rest = [by_city[c] for c in by_city if c not in ranked[:2]]
    assert figures["others"] == {k: sum(r[k] for r in rest) for k in ("verified", "unverified", "reports")}


async def test_a_day_of_bulletins_matches_the_stats_as_of_each_position(
    application, conn, follower, make_scheduler, http
):
    clock = FakeClock(at(11, 59))
    scheduler = make_scheduler(clock)
    for ref, city, n in (("a", "Москва", 5), ("b", "Санкт-Петербург", 3), ("c", "Екатеринбург", 1)):
        application.submit(detention(ref, city, n))
    application.submit(detention("d", None, 2, region="RU-NVS"))
    await settle(conn, application, follower)
    assert await scheduler.tick(conn) is None  # 11:59: nothing due

    clock.set(at(12, 0))
    noon = await scheduler.tick(conn)
    assert noon == bulletin_id(at(12))
    assert await scheduler.tick(conn) is None  # the same time is published once

    application.submit(detention("e", "Екатеринбург", 7, hour=13))
    report = application.submit(detention("f", "Москва", 1, hour=14))
    application.verify(report.id, moderator="anna")
    await settle(conn, application, follower)
    clock.set(at(15, 0))
    assert await scheduler.tick(conn) is None
    clock.set(at(18, 1))
    evening = await scheduler.tick(conn)
    application.submit(detention("g", "Москва", 4, hour=19))
    await settle(conn, application, follower)
    clock.set(at(23, 0))
    night = await scheduler.tick(conn)
    await settle(conn, application, follower)
    clock.set(at(0, 30, DAY + timedelta(days=1)))
    assert await scheduler.tick(conn) is None  # past midnight: 23:00 is done, 12:00 not yet due

    listed = http.get("/v1/bulletins").json()["bulletins"]
    assert [b["id"] for b in listed] == [str(night), str(evening), str(noon)]
    for bulletin in listed:
        check_against_stats(http, bulletin)
        assert not bulletin["late"]
        assert bulletin["figures"]["dashboard"] == f"https://svodka.example/?as_of={bulletin['as_of']['recorded_at'].replace('+00:00', 'Z')}"
        assert f"{bulletin['figures']['detentions']['verified'] + bulletin['figures']['detentions']['unverified']}" in bulletin["text"]["en"]
    noon_out, evening_out, night_out = listed[2], listed[1], listed[0]
    assert noon_out["figures"]["change"] is None and "Первая сводка" in noon_out["text"]["ru"]
    assert evening_out["figures"]["change"] == {"verified": 1, "unverified": 7, "reports": 2}
    assert evening_out["previous"] == str(noon) and night_out["previous"] == str(evening)
    assert [c["city"] for c in evening_out["figures"]["cities"]] == ["Yekaterinburg", "Moscow"]
    assert "Екатеринбург: 8 (0 / 8)" in evening_out["text"]["ru"] and "Yekaterinburg: 8" in evening_out["text"]["en"]
    one = http.get(f"/v1/bulletins/{evening}")
    assert one.status_code == 200 and one.json() == evening_out
    assert http.get(f"/v1/bulletins/{bulletin_id(at(9))}").status_code == 404


async def test_a_restart_across_a_due_time_gives_one_late_bulletin(application, conn, follower, make_scheduler):
    clock = FakeClock(at(12, 0))
    assert await make_scheduler(clock).tick(conn) is not None
    # Down from 12:05 to 18:40: a new scheduler (a restarted process) finds 18:00 due and unrecorded.
    clock.set(at(18, 40))
    late = await make_scheduler(clock).tick(conn)
    assert late == bulletin_id(at(18))
    for minute in (41, 50):
        clock.set(at(18, minute))
        assert await make_scheduler(clock).tick(conn) is None  # restarted again: not twice
    assert application.bulletin(late).late is True
    assert application.bulletin(bulletin_id(at(12))).late is False
    await settle(conn, application, follower)
    assert await conn.fetchval("SELECT count(*) FROM bulletins") == 2


async def test_a_fresh_install_starts_with_the_next_time(conn, make_scheduler):
    clock = FakeClock(at(18, 40))
    assert await make_scheduler(clock).tick(conn) is None
    clock.set(at(23, 0))
    assert await make_scheduler(clock).tick(conn) is not None


async def test_two_schedulers_never_both_publish(application, conn, follower, make_scheduler, db):
    from projections.projector import connect

    clock = FakeClock(at(12, 0))
    # Without the lock, racing on the same time: the event store takes the first only.
    others = [await connect(db.url, db.schema, f"race-{i}") for i in range(2)]
    try:
        won = await asyncio.gather(*(make_scheduler(clock).tick(c) for c in others))
        assert sorted(won, key=lambda w: w is None) == [bulletin_id(at(12)), None]
        # Running as services: one holds the lock, the other waits; one bulletin at 18:00.
        clock.set(at(18, 0))
        tasks = [asyncio.create_task(make_scheduler(clock).run(db.url, db.schema, poll=0.05, standby=0.05))
                 for _ in range(2)]
        for _ in range(200):
            if application.bulletin(bulletin_id(at(18))) is not None:
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.3)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    finally:
        for c in others:
            await c.close()
    await settle(conn, application, follower)
    assert await conn.fetchval("SELECT count(*) FROM bulletins") == 2
    assert await conn.fetchval("SELECT count(*) FROM outbox WHERE kind = 'telegram'") == 2
