"""Intake throughput while Redis is frozen (SIGSTOP), as a ratio to the same server before it.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test python bench/redis_freeze.py [--seconds 5 --workers 2]

Rate limits live in a redis-server this benchmark starts on a free loopback port (never the
machine's shared one). The same API processes take `--seconds` of intake with Redis answering,
then the same with Redis stopped by SIGSTOP: connections open, nothing answered, as a hung
server looks. The circuit breaker (api/limits.py) lets a frozen Redis cost one 1 s timeout per
5 s cooldown; without it each request waited out two. Every 201 is checked to be stored.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.api_load import OPERATOR, database_url, free_port, load, scratch_schema, server  # noqa: E402


def redis_server(directory: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                "--appendonly", "no", "--dir", directory],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    return process, f"redis://127.0.0.1:{port}/0"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    url, key = database_url(), os.urandom(32)
    intake = {"token": OPERATOR, "when": (datetime.now(timezone.utc) - timedelta(hours=1)).isoformat()}
    with tempfile.TemporaryDirectory() as directory, scratch_schema(url) as schema:
        redis, redis_url = redis_server(directory)
        try:
            with server(url, schema, key, workers=args.workers, redis_url=redis_url,
                        redis_prefix=f"bench-{uuid.uuid4().hex[:8]}:") as served:
                load(served.base, "intake", connections=args.clients, seconds=1, phase="warm", **intake)
                before = load(served.base, "intake", connections=args.clients, seconds=args.seconds, phase="before",
                              **intake)
                redis.send_signal(signal.SIGSTOP)
                try:
                    frozen = load(served.base, "intake", connections=args.clients, seconds=args.seconds,
                                  phase="frozen", **intake)
                finally:
                    redis.send_signal(signal.SIGCONT)
        finally:
            redis.terminate()
            redis.wait(timeout=30)
        with psycopg.connect(url) as conn:
            stored = {str(r[0]) for r in conn.execute(f'SELECT originator_id FROM "{schema}".svodka_events')}
    for label, run in (("Redis answering", before), ("Redis frozen", frozen)):
        assert set(run.statuses) == {201} and not run.errors, (label, run.statuses, run.errors)
        missing = set(run.ids) - stored
        assert not missing, f"{len(missing)} acknowledged reports are not in the store"
        print(f"{label:16} {run.rate:7.0f} reports/s  p99 {run.p99_ms:7.1f} ms  ({run.requests} durable)")
    print(f"during the freeze / before: {frozen.rate / before.rate:.2f} of the reports/s")


if __name__ == "__main__":
    main()
