"""The chain projection: every event chained exactly once, heads signed and kept."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from infra.audit.part import chain_for, public_key, run_to_completion, signing_key
from infra.audit.verify import GENESIS as VERIFIER_GENESIS
from projections.chain import GENESIS, ChainRewound, head_message, link
from tests.audit.conftest import detention, fetch, seed, sql


def test_every_event_is_chained_once_and_the_head_is_signed(db, keys, pg_app):
    seed(pg_app)
    head = run_to_completion(db, pg_app, keys)
    events = fetch(db, "SELECT notification_id, originator_id, originator_version, topic, state "
                       "FROM {s}.svodka_events ORDER BY 1")
    expected = GENESIS
    for n, oid, version, topic, state in events:
        expected = link(expected, n, oid, version, topic, bytes(state))
    assert head.position == events[-1][0]
    assert head.hash == expected
    Ed25519PublicKey.from_public_bytes(public_key(keys)).verify(
        head.signature, head_message(head.position, head.hash, head.facts_hash, head.signed_at)
    )
    # Running again chains nothing twice and signs nothing new.
    assert run_to_completion(db, pg_app, keys) == head
    assert fetch(db, "SELECT count(*) FROM {s}.audit_chain")[0][0] == len(events)
    assert fetch(db, "SELECT count(*) FROM {s}.audit_heads")[0][0] == 1
    assert GENESIS == VERIFIER_GENESIS


def test_every_head_ever_published_is_kept(db, keys, pg_app):
    pg_app.submit(detention("1", "Moscow", 3))
    first = run_to_completion(db, pg_app, keys)
    pg_app.submit(detention("2", "Moscow", 4))
    second = run_to_completion(db, pg_app, keys)
    assert second.position > first.position
    rows = fetch(db, "SELECT position, hash FROM {s}.audit_heads ORDER BY id")
    assert [(p, bytes(h)) for p, h in rows] == [(first.position, first.hash), (second.position, second.hash)]


def test_two_chainers_at_once_write_one_chain(db, keys, pg_app):
    for i in range(30):
        pg_app.submit(detention(str(i), "Moscow", 1))
    chain = chain_for(db, pg_app, keys)

    async def race() -> None:
        conns = [await asyncpg.connect(db.url) for _ in range(2)]
        await chain.create_tables(conns[0])
        await asyncio.gather(*(chain.catch_up(c, batch=7) for c in conns))
        for c in conns:
            await c.close()

    asyncio.run(race())
    assert fetch(db, "SELECT count(*), max(notification_id) FROM {s}.audit_chain")[0] == (30, 30)


def test_a_rewound_chain_is_never_signed(db, keys, pg_app):
    seed(pg_app)
    head = run_to_completion(db, pg_app, keys)
    sql(db, "DELETE FROM {s}.audit_chain WHERE notification_id > 3")
    sql(db, "DELETE FROM {s}.svodka_events WHERE notification_id > 3")
    sql(db, "UPDATE {s}.audit_chain_tracking SET position = 3, hash = "
            "(SELECT hash FROM {s}.audit_chain WHERE notification_id = 3)")
    chain = chain_for(db, pg_app, keys)

    async def sign() -> None:
        conn = await asyncpg.connect(db.url)
        try:
            await chain.publish_head(conn, signing_key(keys))
        finally:
            await conn.close()

    with pytest.raises(ChainRewound, match=str(head.position)):
        asyncio.run(sign())


def test_the_serving_part_follows_the_log_and_signs_heads(db, keys, pg_app, monkeypatch):
    from infra.audit import part as audit_part
    from infra.bootstrap import Services

    monkeypatch.setattr(audit_part, "POLL_SECONDS", 0.05)
    monkeypatch.setattr(audit_part, "HEAD_EVERY_SECONDS", 2.0)
    svc = Services(settings=None, db=db, keys=keys, app=pg_app)

    async def serve_briefly() -> None:
        part = asyncio.create_task(audit_part.chain_part(svc))
        await asyncio.sleep(0.3)  # an empty log: nothing to sign, and the wait must not start
        await asyncio.to_thread(pg_app.submit, detention("1", "Moscow", 3))
        await asyncio.sleep(0.6)  # signed at once
        await asyncio.to_thread(pg_app.submit, detention("2", "Kursk", 1))
        await asyncio.sleep(0.2)  # not yet: at most one head per interval
        heads.append(fetch(db, "SELECT position FROM {s}.audit_heads ORDER BY id"))
        await asyncio.sleep(2.2)
        part.cancel()
        await asyncio.gather(part, return_exceptions=True)

    heads: list = []
    asyncio.run(serve_briefly())
    assert heads == [[(1,)]]
    assert fetch(db, "SELECT position FROM {s}.audit_heads ORDER BY id") == [(1,), (2,)]
