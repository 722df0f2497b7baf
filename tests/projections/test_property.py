"""For random sequences of domain commands, the projected counts, now and as of instants in
between, equal the plain fold in `reference.py` of the same events, and a replay equals the model."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.errors import DomainError
from projections import queries, schema
from projections.projector import Projector, connect
from projections.replay import replay
from tests.projections.conftest import NOW, checkpoint, detention
from tests.projections.reference import audit_fold, expected, known_at, numbered_events, published

PEOPLE = ("a" * 64, "b" * 64, None)
CITIES = ("Москва", "Курск", "Екатеринбург")
report = st.builds(
    lambda kind, who, city, n: ("submit", kind, who, city, n),
    st.sampled_from(("detention", "checkpoint")),
    st.sampled_from(PEOPLE),
    st.sampled_from(CITIES),
    st.integers(1, 40),
)
on_report = st.tuples(
    st.sampled_from(("verify", "reject", "retract", "confirm", "clear", "correct", "duplicate", "reopen")),
    st.integers(0, 30),
    st.integers(0, 30),
)
on_reporter = st.tuples(st.sampled_from(("block", "unblock")), st.sampled_from(PEOPLE[:2]))
burst = st.tuples(st.just("burst"), st.integers(5, 15))  # one pseudonym floods: the held path
step = st.one_of(report, report, on_report, on_reporter, burst, st.just(("project",)), st.just(("instant",)))


def run(app, ids: list, command: tuple) -> None:
    name = command[0]
    if name == "submit":
        _, kind, who, city, n = command
        make = detention if kind == "detention" else checkpoint
        extra = {"detained": n} if kind == "detention" else {"lat": None, "lon": None}
        channel = "telegram" if who else "operator"
        ids.append(app.submit(make(f"p{len(ids)}", reporter=who, city=city, channel=channel, **extra)).id)
        return
    if name == "burst":
        for _ in range(command[1]):
            run(app, ids, ("submit", "detention", PEOPLE[0], CITIES[0], 2))
        return
    if name in ("block", "unblock"):
        # Moderators name a reporter by the reference on their reports, not by the pseudonym.
        reference = app.reporter_reference(command[1]) or command[1]
        getattr(app, f"{name}_reporter")(reference, moderator="m", reason="r")
        return
    if not ids:
        return
    rid, other = ids[command[1] % len(ids)], ids[command[2] % len(ids)]
    reference = app.report(rid).reporter
    who = next((p for p in PEOPLE[:2] if app.reporter_reference(p) == reference), None)  # the sender's pseudonym
    {
        "verify": lambda: app.verify(rid, moderator="m"),
        "reject": lambda: app.reject(rid, moderator="m", reason="r"),
        "retract": lambda: app.retract(rid, by=who),
        "confirm": lambda: app.confirm_checkpoint(rid, by="c"),
        "clear": lambda: app.clear_checkpoint(rid, by="c"),
        "correct": lambda: app.correct(rid, by="m", reason="r", city=CITIES[command[2] % 3]),
        "duplicate": lambda: app.mark_duplicate(rid, of=other, moderator="m", reason="same"),
        "reopen": lambda: app.reopen(rid, moderator="m", reason="again"),
    }[name]()


@pytest.mark.slow
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    commands=st.lists(step, max_size=40),
    batch=st.integers(1, 8),
    memory=st.integers(2, 60),  # small: rows leave memory and are read back
    snapshots=st.integers(2, 30),  # small: as-of answers start from snapshots too
    pipelined=st.booleans(),  # a second connection: the next batch folds while the last commits
)
def test_projected_counts_equal_a_plain_fold_of_the_same_events(
    db, store_app, commands, batch, memory, snapshots, pipelined
):
    projector = Projector(store_app.mapper, batch_size=batch, memory=memory, snapshot_every=snapshots)
    asyncio.run(check(db, store_app, commands, projector, pipelined))


async def check(db, app, commands: list, projector: Projector, pipelined: bool) -> None:
    conn = await connect(db.url, db.schema, "svodka-tests")
    reader = await connect(db.url, db.schema, "svodka-tests") if pipelined else None
    try:
        await schema.drop(conn, schema.LIVE)
        await schema.create(conn)
        await conn.execute("TRUNCATE svodka_events")
        ids, instants = [], []
        for command in commands:
            if command[0] == "project":
                await projector.catch_up(conn, reader=reader)
            elif command[0] == "instant":
                instants.append(datetime.now(timezone.utc))
            else:
                try:
                    run(app, ids, command)
                except DomainError:
                    pass  # the domain refused it (e.g. verifying a rejected report): no event
        await projector.catch_up(conn, reader=reader)
        numbered = numbered_events(app)
        events = [event for _, event in numbered]
        for at in (*instants, None, NOW - timedelta(days=1)):
            for kind in ("detention", "checkpoint"):
                assert await published(conn, kind, at) == expected(events, kind, at), (kind, at)
            if at is not None:
                assert (await queries.stats(conn, at=at)).as_of.position == known_at(numbered, at)
        auditor = audit_fold(numbered)
        for kind in ("detention", "checkpoint"):
            ours = auditor.figures(kind, upto=numbered[-1][0] if numbered else 0)
            assert {k: v for k, v in ours.items() if k} == {
                (day, region, city or None): v for (day, region, city), v in expected(events, kind).items() if any(v)
            }
        # Batch boundaries leave no trace: a replay in other batches builds the same rows.
        assert (await replay(db.url, db.schema, app.mapper, verify=True, batch_size=5)).differences == []
    finally:
        await conn.close()
        if reader is not None:
            await reader.close()
