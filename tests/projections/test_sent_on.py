"""An operator's "my reports" (projections/triage.py sent_on): a page at a time by keyset, from
an index on the channel, which a read model built before that index gets at its next start."""

from __future__ import annotations

import json
from datetime import timedelta
from uuid import UUID

from projections import schema, triage
from tests.projections.conftest import NOW, detention, project

CHANNEL = "operator:hotline"


async def _sent(store_app, conn, projector, n: int) -> list:
    ids = [store_app.submit(detention(f"mine-{i}", channel=CHANNEL, reporter=None)).id for i in range(n)]
    store_app.submit(detention("someone-else", channel="operator:other", reporter=None))
    await project(conn, projector)
    return ids


async def test_pages_follow_one_another_newest_first_even_through_equal_times(store_app, conn, projector):
    ids = await _sent(store_app, conn, projector, 7)
    # Three reports stored in the same microsecond: the id breaks the tie, so none is skipped or shown twice.
    await conn.execute("UPDATE rm_reports SET submitted_at = $1 WHERE id = ANY($2::uuid[])",
                       NOW - timedelta(minutes=1), ids[2:5])
    seen, before = [], None
    while True:
        page, total = await triage.sent_on(conn, CHANNEL, limit=2, before=before)
        assert total == 7 and len(page) <= 2
        if not page:
            break
        seen.extend(page)
        before = (page[-1].submitted_at, page[-1].id)
    assert sorted(r.id for r in seen) == sorted(ids)
    order = [(r.submitted_at, r.id) for r in seen]
    assert order == sorted(order, reverse=True)


async def _plan(conn, after: bool) -> str:
    args = [CHANNEL, 100, *((NOW, UUID(int=0)) if after else ())]
    async with conn.transaction():
        await conn.execute("SET LOCAL enable_seqscan = off")  # a few rows: the planner would read them all anyway
        found = await conn.fetchval(f"EXPLAIN (FORMAT JSON) {triage.sent_on_sql(after)}", *args)
    return json.dumps(json.loads(found) if isinstance(found, str) else found)


async def test_the_page_reads_the_channels_index_and_an_older_model_gets_it_at_start(store_app, conn, projector):
    await _sent(store_app, conn, projector, 3)
    for after in (False, True):
        assert '"Index Name": "rm_reports_channel"' in await _plan(conn, after)
    # A read model built before the index: the next start adds it, once, and a second start is a no-op.
    await conn.execute("DROP INDEX rm_reports_channel")
    assert '"Index Name": "rm_reports_channel"' not in await _plan(conn, True)
    await schema.create(conn)
    await schema.create(conn)
    assert '"Index Name": "rm_reports_channel"' in await _plan(conn, True)
