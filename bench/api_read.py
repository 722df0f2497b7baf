"""Read benchmark: GET /v1/stats with a typical filter vs a bare FastAPI endpoint, same process and run.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test python bench/api_read.py [--seconds 5]

Goal: stats at >= 70% of the bare endpoint's requests/s, p99 under 15 ms, 32 connections.
Rounds alternate between the two endpoints so drift on a shared machine hits both alike.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.api_load import application, database_url, load, scratch_schema, server  # noqa: E402
from domain.application import NewReport  # noqa: E402

CITIES = ("Москва", "Санкт-Петербург", "Екатеринбург", "Новосибирск", "Курск")


def seed(url: str, schema: str, master_key: bytes, reports: int) -> None:
    from projections import schema as read_schema
    from projections.projector import Projector, connect

    app = application(url, schema, master_key)
    now = datetime.now(timezone.utc)
    for i in range(0, reports, 200):
        batch = []
        for j in range(i, min(i + 200, reports)):
            batch.append(NewReport("detention", "bench", str(j), now - timedelta(hours=j % (24 * 30)),
                                   city=CITIES[j % len(CITIES)], detained=1 + j % 7))
        for new in batch:
            app.submit(new)

    async def project() -> None:
        conn = await connect(url, schema)
        await read_schema.create(conn)
        await Projector(app.mapper).catch_up(conn)
        await conn.close()

    asyncio.run(project())
    app.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--reports", type=int, default=3000)
    args = parser.parse_args()
    url, key = database_url(), os.urandom(32)
    today = datetime.now(timezone.utc).date()
    stats_path = f"/v1/stats?kind=detention&region=RU-MOW&from={today - timedelta(days=14)}&to={today}&group_by=day"
    with scratch_schema(url) as schema:
        seed(url, schema, key, args.reports)
        with server(url, schema, key) as served:
            # "routed": a URL never seen before (a cache-busting extra parameter, which the API
            # ignores) is validated and routed, then answered from the position-keyed render.
            targets = {"bare": {"path": "/bench/bare"}, "stats": {"path": stats_path},
                       "routed": {"path": stats_path, "bust": "1"}}
            for target in targets.values():  # warm up: connections, caches, first render
                load(served.base, "get", connections=args.connections, seconds=1, phase="warm", **target)
            results: dict[str, list] = {name: [] for name in targets}
            cpu: dict[str, float] = {name: 0.0 for name in targets}
            for round_ in range(args.rounds):
                for name, target in targets.items():
                    before = served.cpu_seconds()
                    run = load(served.base, "get", connections=args.connections, seconds=args.seconds,
                               phase=f"run{round_}", **target)
                    cpu[name] += served.cpu_seconds() - before
                    assert set(run.statuses) == {200} and not run.errors, (run.statuses, run.errors)
                    results[name].append(run)
    for name, runs in results.items():
        per_request = cpu[name] / sum(r.requests for r in runs) * 1000
        print(f"{name:6}  req/s " + "  ".join(f"{r.rate:7.0f}" for r in runs)
              + "   p99 ms " + "  ".join(f"{r.p99_ms:5.1f}" for r in runs)
              + f"   server CPU {per_request:.3f} ms/request")
    for name in ("stats", "routed"):
        ratios = [s.rate / b.rate for s, b in zip(results[name], results["bare"], strict=True)]
        print(f"{name} / bare: median {statistics.median(ratios):.0%} "
              f"(rounds: {', '.join(f'{r:.0%}' for r in ratios)})")


if __name__ == "__main__":
    main()
