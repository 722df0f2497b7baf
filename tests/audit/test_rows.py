"""The export reads the events and the chain a window at a time and merges them in Python
(infra/audit/rows.py): the rows must be exactly those of the single SQL join it replaced."""

from __future__ import annotations

import asyncio

import asyncpg

from infra.audit.export import REENCRYPTIONS
from infra.audit.part import run_to_completion
from infra.audit.rows import joined
from tests.audit.conftest import detention, seed, sql

# The join the export ran before (PostgreSQL hashed both tables and sorted the log to answer it).
ONE_JOIN = """
SELECT coalesce(e.notification_id, c.notification_id) AS position,
       e.originator_id, e.originator_version, e.topic, e.state,
       c.hash, c.facts_hash, r.state_sha256 AS rotated_sha256, r.chained_sha256, c.facts_sha256
FROM {s}.svodka_events e FULL OUTER JOIN {s}.audit_chain c ON c.notification_id = e.notification_id
LEFT JOIN {s}.audit_reencryptions r ON r.notification_id = e.notification_id
WHERE coalesce(e.notification_id, c.notification_id) <= $1
ORDER BY 1
"""


async def both(db, last: int, window: int) -> tuple[list[tuple], list[tuple]]:
    conn = await asyncpg.connect(db.url)
    try:
        s = f'"{db.schema}"'
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            expected = [tuple(r) for r in await conn.fetch(ONE_JOIN.format(s=s), last)]
            got = [row async for rows in joined(conn, s, last, window) for row in rows]
        return expected, got
    finally:
        await conn.close()


def test_windows_give_the_rows_of_the_one_join(db, keys, pg_app):
    """Every kind of row at window edges: events the chain lacks, entries whose event was deleted,
    re-encrypted events (and a re-encryption of a deleted event, which the join leaves out)."""
    ids = seed(pg_app)
    run_to_completion(db, pg_app, keys)
    pg_app.verify(ids["spb"], moderator="anna")  # events the chain has not seen: 13 and 14
    pg_app.submit(detention("late", "Kursk", 2))
    sql(db, REENCRYPTIONS)
    sql(db, "INSERT INTO {s}.audit_reencryptions SELECT notification_id, sha256(state), sha256(state || '\\x00') "
            "FROM {s}.svodka_events WHERE notification_id IN (2, 3, 9, 14)")  # fmt: skip
    sql(db, "DELETE FROM {s}.svodka_events WHERE notification_id IN (3, 4, 12)")
    for last in (0, 1, 11, 12, 20, 25, 40):
        for window in (1, 2, 3, 5, 2_000):
            expected, got = asyncio.run(both(db, last, window))
            assert got == expected, (last, window)
    # The last comparison covered them all: deleted chained events, and events not yet chained.
    assert [row[0] for row in expected] == list(range(1, 15))
    assert [row[0] for row in expected if row[1] is None] == [3, 4, 12]
    assert [row[0] for row in expected if row[5] is None] == [13, 14]
    assert [row[0] for row in expected if row[7] is not None] == [2, 9, 14]
