"""CSV import benchmark: rows/s of a 10,000-row file through the import engine, against the same
reports sent one by one to POST /v1/reports, measured in the same run, in one process.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test python -m bench.csv_import [--rows 10000]
    ... python -m bench.csv_import --rows 2000 --compare-described [--rounds 2]

`--compare-described` measures both paths with no row described and with every row described,
alternating within the run, and prints described / undescribed for each: what sealing costs.

Both paths run the app in-process (ASGI, no sockets) on their own scratch schema, with the same
group commit. The JSON path has 64 clients in flight; the import reads, checks and stores the
whole file (dry run included, as the console does it). Every row is checked afterwards to be in
the event store, and importing the file again must store nothing. Not a test: it times things.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
import uuid
from datetime import datetime, timedelta, timezone

import httpx
import psycopg

from api.app import create_app
from api.console.importing import dry_run, import_rows
from api.context import ApiConfig, Limit
from bench.api_load import OPERATOR, application, database_url, scratch_schema

CITIES = ("Москва", "Saint Petersburg", "Екатеринбург", "Novosibirsk", "Курск", "Kazan")


def rows(count: int, described: float) -> list[dict]:
    """`described`: the share of rows with a description (each of those gets its own data key)."""
    start = datetime.now(timezone.utc) - timedelta(days=3)
    every = round(1 / described) if described else 0
    return [{"kind": "detention", "city": CITIES[i % len(CITIES)], "detained": 1 + i % 7,
             "occurred_at": (start + timedelta(seconds=17 * i)).replace(second=0, microsecond=0),
             "description": f"звонок на горячую линию №{i}" if every and i % every == 0 else None}
            for i in range(count)]


def as_csv(reports: list[dict]) -> bytes:
    lines = ["Город;Задержано;Время;Описание"]
    lines += [f"{r['city']};{r['detained']};{r['occurred_at'].astimezone(timezone.utc):%Y-%m-%d %H:%M}Z;"
              f"{r['description'] or ''}" for r in reports]
    return ("\ufeff" + "\n".join(lines) + "\n").encode()


async def stored(url: str, schema: str) -> int:
    with psycopg.connect(url) as conn:
        return conn.execute(f'SELECT count(*) FROM "{schema}".svodka_events').fetchone()[0]


class InProcess:
    """The whole app on a scratch schema, its lifespan run, requests through ASGI."""

    def __init__(self, url: str, schema: str) -> None:
        unlimited = Limit(10**9, 60)
        self.app = create_app(ApiConfig(database_url=url, schema=schema, application=application(url, schema, os.urandom(32)),
                                        operator_tokens={OPERATOR: "bench"}, intake_per_token=unlimited,
                                        intake_per_address=unlimited, redis_prefix=f"bench-{uuid.uuid4().hex[:8]}:"))

    async def __aenter__(self) -> InProcess:
        self.lifespan = self.app.router.lifespan_context(self.app)
        await self.lifespan.__aenter__()
        self.state = self.app.state.api
        return self

    async def __aexit__(self, *exc) -> None:
        await self.lifespan.__aexit__(None, None, None)
        self.state.config.application.close()


async def json_path(url: str, reports: list[dict], clients: int) -> float:
    with scratch_schema(url) as schema:
        async with InProcess(url, schema) as served:
            transport = httpx.ASGITransport(app=served.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
                queue = list(reversed(reports))

                async def client() -> None:
                    while queue:
                        r = queue.pop()
                        body = {k: v for k, v in r.items() if v is not None}
                        body["occurred_at"] = r["occurred_at"].isoformat()
                        answer = await http.post("/v1/reports", json=body, headers={
                            "Authorization": f"Bearer {OPERATOR}", "Idempotency-Key": uuid.uuid4().hex})
                        assert answer.status_code == 201, answer.text

                started = time.perf_counter()
                await asyncio.gather(*(client() for _ in range(clients)))
                elapsed = time.perf_counter() - started
        assert await stored(url, schema) == len(reports)
    return len(reports) / elapsed


async def csv_path(url: str, data: bytes, count: int) -> tuple[float, float]:
    with scratch_schema(url) as schema:
        async with InProcess(url, schema) as served:
            app, intake = served.state.config.application, served.state.intake
            started = time.perf_counter()
            sheet = await dry_run(data, app, "bench")
            checked = time.perf_counter() - started
            done = await import_rows(sheet, intake)
            elapsed = time.perf_counter() - started
            assert [i.outcome for i in done] == ["stored"] * count, {i.outcome for i in done}
            again = await import_rows(await dry_run(data, app, "bench"), intake)
            assert {i.outcome for i in again} == {"already stored"}
        assert await stored(url, schema) == count
    return count / elapsed, checked


def compare_described(url: str, count: int, clients: int, rounds: int) -> None:
    """Undescribed and fully described runs of both paths, alternating, so drift hits both alike."""
    rates: dict[tuple[str, float], list[float]] = {}
    for _ in range(rounds):
        for described in (0.0, 1.0):
            reports = rows(count, described)
            rates.setdefault(("json", described), []).append(asyncio.run(json_path(url, reports, clients)))
            rates.setdefault(("csv", described), []).append(asyncio.run(csv_path(url, as_csv(reports), count))[0])
    for path, label, unit in (("json", "JSON intake", "reports/s"), ("csv", "CSV import", "rows/s")):
        plain, sealed = rates[(path, 0.0)], rates[(path, 1.0)]
        print(f"{label:12} undescribed {' · '.join(f'{r:.0f}' for r in plain)} {unit}, "
              f"described {' · '.join(f'{r:.0f}' for r in sealed)} {unit}: described / undescribed "
              + " · ".join(f"{s / p:.2f}" for p, s in zip(plain, sealed, strict=True)))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--described", type=float, default=0.0,
                        help="share of rows with a description; each is sealed under a data key of its own")
    parser.add_argument("--compare-described", action="store_true",
                        help="no row vs every row described, both paths, in the same run")
    parser.add_argument("--rounds", type=int, default=1, help="with --compare-described: alternations")
    args = parser.parse_args()
    url = database_url()
    if args.compare_described:
        compare_described(url, args.rows, args.clients, args.rounds)
        return
    reports = rows(args.rows, args.described)
    data = as_csv(reports)
    json_rate = asyncio.run(json_path(url, reports, args.clients))
    print(f"JSON intake   {json_rate:7.0f} reports/s  ({args.rows} requests, {args.clients} in flight)")
    csv_rate, checked = asyncio.run(csv_path(url, data, args.rows))
    print(f"CSV import    {csv_rate:7.0f} rows/s     ({args.rows} rows, {len(data) / 1024:.0f} KiB; "
          f"the dry run took {checked:.1f} s; {args.rows / csv_rate:.1f} s in all)")
    print(f"CSV import / JSON intake: {csv_rate / json_rate:.1f}x  ({args.described:.0%} of rows with a description)")


if __name__ == "__main__":
    main()
