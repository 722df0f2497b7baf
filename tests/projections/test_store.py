"""The projector's writing connection encodes timestamps itself: the same values as asyncpg's."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from projections import store
from projections.projector import connect

VALUES = [
    datetime(2026, 3, 1, 0, 0, 0, 105754, tzinfo=timezone.utc),
    datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=timezone(timedelta(hours=5, minutes=30))),
    datetime(1970, 1, 1, tzinfo=timezone.utc),
    datetime.max.replace(tzinfo=timezone.utc),
    datetime.min.replace(tzinfo=timezone.utc),
]


async def test_timestamps_round_trip_as_with_asyncpgs_own_codec(db, conn):
    tuned = await connect(db.url, db.schema, "svodka-tests-tuned")
    try:
        await store.tune(tuned)
        await store.tune(tuned)  # once per connection
        for c, table in ((conn, "plain"), (tuned, "tuned")):
            await c.execute(f"CREATE TABLE {table} (i int, at timestamptz)")
            await c.copy_records_to_table(table, records=list(enumerate(VALUES)))
        query = "SELECT i, at, at::text FROM {} ORDER BY i"
        stored = [tuple(r) for r in await conn.fetch(query.format("tuned"))]
        assert stored == [tuple(r) for r in await conn.fetch(query.format("plain"))]
        assert [tuple(r) for r in await tuned.fetch(query.format("plain"))] == stored
        assert [r[2] for r in stored][-2:] == ["infinity", "-infinity"]
        assert await tuned.fetchval("SELECT $1::timestamptz[]", VALUES[:3]) == VALUES[:3]
    finally:
        await tuned.close()
