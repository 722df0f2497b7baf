"""Projection benchmark: catch-up throughput, replay time, memory, the library baseline, and
live lag, all in one run on one machine, so the ratios compare like with like.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test python -m bench.projection

Not a test: it times things. See docs/BENCHMARKS.md for the figures and how to read them.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

import psycopg

from bench.projection_baseline import run_baseline
from bench.projection_data import KEYS, ensure_log
from domain.application import NewReport
from infra.bootstrap import build_application, storage_env
from infra.crypto import MemoryKeyStore
from infra.database import Database
from projections import queries, schema
from projections.projector import Projector, connect, tune_collector
from projections.replay import replay

WRITERS = 8
SCRATCH = "rmb_"  # the ratio rounds' tables, beside the full model


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def fresh_schema(url: str, name: str, keep: bool) -> Database:
    with psycopg.connect(url, autocommit=True) as conn:
        if not keep:
            conn.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")
        conn.execute(f"CREATE SCHEMA IF NOT EXISTS {name}")
    return Database(url, name)


class Pace:
    """Events/s over each tenth of a run, from a progress callback's increments: whether the rate
    stays flat as the log grows, measured within one run (no second run's noise in the ratio).
    Also per CPU-second of this process and, given `server` (CPU seconds of the PostgreSQL
    backends), of the database: other work on a shared machine disturbs those far less than the
    wall clock, and the database's share tells whether its side grows with the log."""

    WALL, CPU, SERVER = 1, 2, 3

    def __init__(self, total: int, parts: int = 10, server: Callable[[], float] = lambda: 0.0) -> None:
        self.step, self.done, self._server = max(1, total // parts), 0, server
        self.marks = [self._mark()]

    def _mark(self) -> tuple[int, float, float, float]:
        return (self.done, time.perf_counter(), time.process_time(), self._server())

    def __call__(self, n: int) -> None:
        self.done += n
        if self.done >= self.marks[-1][0] + self.step:
            self.marks.append(self._mark())

    def rates(self, clock: int = WALL) -> list[float]:
        """Events per second of the wall clock, of this process's CPU or of the database's."""
        pairs = zip(self.marks, self.marks[1:])
        return [(b[0] - a[0]) / (b[clock] - a[clock]) for a, b in pairs if b[clock] > a[clock]]


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process on this machine (a PostgreSQL backend, here)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def catch_up(db: Database, mapper, events: int) -> dict:
    conn = await connect(db.url, db.schema)
    reader = await connect(db.url, db.schema, "bench-reader")
    built = await ensure_log(conn, events)
    await schema.drop(conn, schema.LIVE)
    await schema.create(conn)
    backends = [await c.fetchval("SELECT pg_backend_pid()") for c in (conn, reader)]
    local = all(os.path.exists(f"/proc/{pid}") for pid in backends)  # a server on this machine
    memory = [rss_mb()]
    server = sum(cpu_seconds(pid) for pid in backends) if local else 0.0
    started, cpu = time.perf_counter(), time.process_time()
    pace = Pace(events, server=lambda: sum(cpu_seconds(pid) for pid in backends) if local else 0.0)

    def progress(n: int) -> None:
        memory.append(rss_mb())
        pace(n)

    count = await Projector(mapper).catch_up(conn, reader=reader, progress=progress)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    server = sum(cpu_seconds(pid) for pid in backends) - server if local else float("nan")
    await conn.close()
    await reader.close()
    return dict(
        built=built, events=count, seconds=seconds, rate=count / seconds, rss=memory, cpu=cpu, server=server,
        tenths=pace.rates(), cpu_tenths=pace.rates(Pace.CPU), server_tenths=pace.rates(Pace.SERVER),
    )


async def as_of_latency(db: Database, instants: int = 21) -> list[float]:
    """Seconds per stats(at=T) grouped by day, region and city, at instants spread over the log."""
    conn = await connect(db.url, db.schema)
    first, last = await conn.fetchrow("SELECT min(at), max(at) FROM rm_clock")
    took = []
    for i in range(instants):
        started = time.perf_counter()
        await queries.stats(conn, at=first + (last - first) * i / (instants - 1), group_by=("day", "region", "city"))
        took.append(time.perf_counter() - started)
    await conn.close()
    return sorted(took)


async def segment(db: Database, mapper, events: int) -> float:
    """Events per second folding the first `events` of the log into scratch tables."""
    conn = await connect(db.url, db.schema)
    reader = await connect(db.url, db.schema, "bench-reader")
    await schema.drop(conn, SCRATCH)
    await schema.create(conn, SCRATCH)
    started = time.perf_counter()
    count = await Projector(mapper, prefix=SCRATCH).catch_up(conn, events, reader=reader)
    seconds = time.perf_counter() - started
    await schema.drop(conn, SCRATCH)
    await conn.close()
    await reader.close()
    return count / seconds


def baseline(db: Database, events: int) -> float:
    env = {**storage_env(KEYS), **db.eventsourcing_env()}
    return run_baseline(env, events)


def lag(url: str, seconds: float, rate: int) -> dict:
    """Reports arrive at `rate`/s from WRITERS threads; a projector process follows; lag per event."""
    db = fresh_schema(url, "bench_projection_lag", keep=False)
    app = build_application(KEYS, db, MemoryKeyStore())
    follower = multiprocessing.get_context("spawn").Process(target=_follow, args=(db.url, db.schema), daemon=True)
    follower.start()
    with db.connect(autocommit=True) as conn:
        while not _exists(conn):  # the follower is up (imports take a while in a fresh process)
            time.sleep(0.05)
    polls: list[tuple[float, int]] = []
    stop = threading.Event()
    poller = threading.Thread(target=_poll, args=(db, polls, stop))
    poller.start()
    per_thread, threads = rate / WRITERS, []
    began = time.time()
    for t in range(WRITERS):
        threads.append(threading.Thread(target=_write, args=(app, t, per_thread, began + seconds)))
        threads[-1].start()
    for thread in threads:
        thread.join()
    time.sleep(2)
    stop.set()
    poller.join()
    follower.terminate()
    notes = app.recorder.select_notifications(start=None, limit=10**7)
    lags = []
    for note in notes:
        recorded = app.mapper.to_domain_event(note).timestamp.timestamp()
        seen = next((at for at, position in polls if position >= note.id), None)
        lags.append((seen if seen is not None else float("inf")) - recorded)
    lags.sort()
    app.close()
    achieved = len(notes) / seconds
    return dict(events=len(lags), achieved=achieved, p50=lags[len(lags) // 2], p99=lags[int(len(lags) * 0.99)], max=lags[-1])


def _follow(url: str, db_schema: str) -> None:
    tune_collector()
    mapper = build_application(KEYS, None).mapper
    asyncio.run(Projector(mapper).follow(url, db_schema, poll=1.0))


def _poll(db: Database, polls: list, stop: threading.Event) -> None:
    with db.connect(autocommit=True) as conn:
        while not stop.is_set():
            row = conn.execute("SELECT position FROM rm_tracking").fetchone() if _exists(conn) else None
            polls.append((time.time(), row[0] if row else 0))
            time.sleep(0.005)


def _exists(conn) -> bool:
    return conn.execute("SELECT to_regclass('rm_tracking') IS NOT NULL").fetchone()[0]


def _write(app, thread: int, per_second: float, until: float) -> None:
    sent, began = 0, time.time()
    while time.time() < until:
        due = began + sent / per_second
        if due > time.time():
            time.sleep(due - time.time())
        app.submit(
            NewReport(
                kind="detention", channel="operator", client_ref=f"{thread}-{sent}",
                occurred_at=datetime.now(timezone.utc) - timedelta(minutes=5), city="Moscow", detained=1 + sent % 9,
            )  # fmt: skip
        )
        sent += 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--baseline-events", type=int, default=10_000)
    parser.add_argument("--segment", type=int, default=100_000, help="events the projector folds per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--lag-seconds", type=float, default=20.0)
    parser.add_argument("--lag-rate", type=int, default=500)
    parser.add_argument("--schema", default="bench_projection", help="kept between runs: the log is built once")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
    tune_collector()  # as `svodka serve`, `project` and `replay` do

    db = fresh_schema(url, args.schema, keep=True)
    app = build_application(KEYS, db, MemoryKeyStore())  # creates the events table
    ours = asyncio.run(catch_up(db, app.mapper, args.events))
    print(f"log: {args.events:,} events, built in {ours['built']:.1f} s (0 = reused)")
    print(f"catch-up: {ours['events']:,} events in {ours['seconds']:.1f} s = {ours['rate']:,.0f} events/s")
    print(
        f"  CPU: projector {ours['cpu']:.1f} s, its PostgreSQL backends {ours['server']:.1f} s "
        f"({ours['events'] / ours['cpu']:,.0f} events per projector CPU-second)"
    )
    rss = ours["rss"]
    print(f"memory (RSS): {rss[0]:.0f} MB at start, {max(rss):.0f} MB peak, {rss[-1]:.0f} MB at end")

    started = time.perf_counter()
    outcome = asyncio.run(replay(db.url, db.schema, app.mapper))
    print(f"replay (rebuild + indexes + swap): {outcome.events:,} events in {time.perf_counter() - started:.1f} s")
    took = asyncio.run(as_of_latency(db))
    print(f"as-of figures (by day, region, city) at {len(took)} instants: median {took[len(took) // 2] * 1000:.0f} ms, "
          f"max {took[-1] * 1000:.0f} ms")  # fmt: skip

    # The ratio: rounds alternate, each on the first events of the log, so both sides meet the
    # same neighbours' load; the median of the rounds' ratios is the figure.
    ratios = []
    for round_ in range(args.rounds):
        ours_rate = asyncio.run(segment(db, app.mapper, args.segment))
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f"DROP TABLE IF EXISTS {args.schema}.bench_base_tracking, {args.schema}.base_reports, "
                         f"{args.schema}.base_counts")  # fmt: skip
        base = baseline(db, args.baseline_events)
        ratios.append(ours_rate / base)
        print(f"round {round_ + 1}: projector {ours_rate:,.0f} events/s over {args.segment:,}, library "
              f"ProjectionRunner {base:,.0f} events/s over {args.baseline_events:,}: {ratios[-1]:.1f}x")  # fmt: skip
    print(f"ratio (median of {len(ratios)} rounds): {sorted(ratios)[len(ratios) // 2]:.1f}x")
    app.close()

    live = lag(url, args.lag_seconds, args.lag_rate)
    print(
        f"live lag at {live['achieved']:.0f} reports/s ({live['events']:,} events): "
        f"p50 {live['p50'] * 1000:.0f} ms, p99 {live['p99'] * 1000:.0f} ms, max {live['max'] * 1000:.0f} ms"
    )


if __name__ == "__main__":
    main()
