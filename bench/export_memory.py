"""Export memory against the size of the event log: the exports' memory follows their rows (days ×
places), which the database aggregates, not the events behind them.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test python -m bench.export_memory 100000 1000000

Builds (once, kept for reuse) a synthetic log of each size in schema bench_export_<n>, projects it,
then renders every export of all days exactly as the routes do, under tracemalloc. Not a test: the
figures go in docs/BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
import tracemalloc

from api.export.geojson import to_geojson
from api.export.rows import rows
from api.export.tabular import to_csv, to_xlsx
from bench.projection import fresh_schema
from bench.projection_data import KEYS, ensure_log
from domain.places import Gazetteer
from infra.bootstrap import build_application
from infra.crypto import MemoryKeyStore
from projections import queries, schema
from projections.projector import Projector, connect

BY_DAY = ("day", "region", "city")


async def measure(url: str, events: int, copy_from: str | None) -> dict:
    db = fresh_schema(url, f"bench_export_{events}", keep=True)
    application = build_application(KEYS, db, MemoryKeyStore())  # creates the events table
    conn = await connect(db.url, db.schema)
    try:
        if copy_from and await conn.fetchval("SELECT count(*) FROM svodka_events") != events:
            # Another benchmark's log of this size, written with the same keys: copied, not rebuilt.
            await conn.execute("TRUNCATE svodka_events")
            await conn.execute(f"INSERT INTO svodka_events SELECT * FROM {copy_from}.svodka_events "
                               f"ORDER BY notification_id LIMIT {events}")
        await ensure_log(conn, events)
        if (await queries.as_of(conn)).position < await conn.fetchval("SELECT max(notification_id) FROM svodka_events"):
            await schema.drop(conn, schema.LIVE)
            await schema.create(conn)
            await Projector(application.mapper).catch_up(conn)
        gazetteer = Gazetteer.default()
        out = {"events": await conn.fetchval("SELECT count(*) FROM svodka_events")}
        for name, render in (
            ("csv", lambda s: to_csv(rows(s, "detention", gazetteer), "detention", hxl=True)),
            ("xlsx", lambda s: to_xlsx(rows(s, "detention", gazetteer), "detention", about=[])),
            ("geojson", lambda s: to_geojson(s, "detention", gazetteer)),
        ):
            tracemalloc.start()
            started = time.perf_counter()
            stats = await queries.stats(conn, kind="detention", group_by=BY_DAY)
            body = render(stats)
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            out[name] = (len(stats.groups), len(body), peak, time.perf_counter() - started)
        return out
    finally:
        await conn.close()
        application.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="+", type=int)
    parser.add_argument("--copy-from", help="a schema whose svodka_events (bench keys) to copy instead of building")
    args = parser.parse_args()
    url = os.environ["DATABASE_URL"]
    print("| events | format | rows | file | peak Python memory | time |")
    print("|---|---|---|---|---|---|")
    for size in args.sizes:
        result = asyncio.run(measure(url, size, args.copy_from))
        for name in ("csv", "xlsx", "geojson"):
            groups, size_bytes, peak, seconds = result[name]
            print(f"| {result['events']:,} | {name} | {groups:,} | {size_bytes / 1024:,.0f} KiB "
                  f"| {peak / 2**20:.1f} MiB | {seconds:.2f} s |", flush=True)


if __name__ == "__main__":
    main()
