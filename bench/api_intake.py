"""Intake benchmark: reports/s through POST /v1/reports, group commit vs one save per request.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test REDIS_URL=redis://127.0.0.1:6379/15 \\
        python bench/api_intake.py [--seconds 5 --workers 2]

Goal: >= 2,000 reports/s and >= 2x the baseline (one Application.save per request), 64
concurrent clients, driven by wrk. Every 201 is checked afterwards to be in the event store.
"""

from __future__ import annotations

import argparse
import os
import sys
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.api_load import OPERATOR, database_url, load, scratch_schema, server  # noqa: E402
from infra.settings import load_settings  # noqa: E402


def measure(url: str, key: bytes, label: str, seconds: float, clients: int, **overrides) -> tuple[float, float]:
    when = (datetime.now(timezone.utc) - timedelta(hours=1)).isoformat()
    intake = {"token": OPERATOR, "when": when}
    with scratch_schema(url) as schema, server(url, schema, key, **overrides) as served:
        load(served.base, "intake", connections=clients, seconds=1, phase="warm", **intake)
        cpu = served.cpu_seconds()
        run = load(served.base, "intake", connections=clients, seconds=seconds, **intake)
        cpu = served.cpu_seconds() - cpu
        assert set(run.statuses) == {201} and not run.errors, (run.statuses, run.errors)
        with psycopg.connect(url) as conn:
            stored = {str(r[0]) for r in conn.execute(f'SELECT originator_id FROM "{schema}".svodka_events')}
    missing = set(run.ids) - stored
    assert len(run.ids) == run.requests and not missing, f"{len(missing)} acknowledged reports are not in the store"
    per_report = cpu / run.requests * 1000
    print(f"{label:13} {run.rate:7.0f} reports/s  p99 {run.p99_ms:6.1f} ms  server CPU {per_report:.2f} ms/report"
          f"  ({run.requests} durable)")
    return run.rate, per_report


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--stack", choices=("auto", "pure"), default="auto",
                        help="pure: asyncio and h11 even when uvloop and httptools are installed")
    parser.add_argument("--workers", type=int, default=2, help="server processes sharing the port, as `svodka api --workers N`")
    args = parser.parse_args()
    url, key = database_url(), os.urandom(32)
    # Workers share their rate limits through Redis in a real deployment: with REDIS_URL set,
    # every report takes its two limit checks there too (the limits themselves never bite).
    redis_url = load_settings().redis_url
    print(f"{args.workers} worker(s), {args.clients} clients, rate limits in "
          f"{'Redis' if redis_url else 'each process (REDIS_URL is not set)'}")
    shared = {"stack": args.stack, "workers": args.workers, "redis_url": redis_url,
              "redis_prefix": f"bench-{uuid.uuid4().hex[:8]}:"}
    baseline, baseline_cpu = measure(url, key, "one-save", args.seconds, args.clients, commit_batch_max=1, **shared)
    grouped, grouped_cpu = measure(url, key, "group-commit", args.seconds, args.clients, **shared)
    print(f"group commit / one save per request: {grouped / baseline:.1f}x reports/s, "
          f"{baseline_cpu / grouped_cpu:.1f}x less server CPU per report "
          f"(one core would take {1000 / grouped_cpu:.0f} reports/s)")


if __name__ == "__main__":
    main()
