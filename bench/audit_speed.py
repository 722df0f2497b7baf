"""Audit export and verify speed, phase by phase: chaining every event (what `svodka audit export`
does first, `bring_up_to_date`), streaming the export, and verifying it, on one synthetic log.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test python -m bench.audit_speed --events 200000

The log is built once by bench/projection_data.py's fast path into schema `bench_audit_<events>`
(kept, so later runs and a checkout of older code time the same events; --drop removes it).
Each run drops the chain tables first, so chaining starts from the genesis every time. Prints
one JSON line: seconds and events/s per phase. Not a test: it times things.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import time
from pathlib import Path

import psycopg

from bench.projection import fresh_schema
from bench.projection_data import KEYS, ensure_log
from infra.audit.export import export
from infra.audit.part import bring_up_to_date
from infra.audit.verify import verify_file
from infra.bootstrap import build_application
from infra.crypto import MemoryKeyStore
from projections.projector import connect

CHAIN_TABLES = ("audit_chain", "audit_chain_tracking", "audit_heads", "audit_reencryptions")


async def _build(db, events: int) -> None:
    conn = await connect(db.url, db.schema)
    try:
        await ensure_log(conn, events)
    finally:
        await conn.close()


def timed(what, profile: Path | None, name: str):
    """`what()`, its wall seconds and its CPU seconds (this process only, so a busy machine inflates
    them less than the wall clock; PostgreSQL's own work is not in them)."""
    profiler = cProfile.Profile() if profile else None
    began, cpu = time.perf_counter(), time.process_time()
    if profiler:
        profiler.enable()
    result = what()
    if profiler:
        profiler.disable()
        profiler.dump_stats(str(profile / f"{name}.prof"))
    return result, time.perf_counter() - began, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--work", type=Path, default=Path("/tmp"), help="where the export is written")
    parser.add_argument("--profile", type=Path, help="write cProfile stats per phase into this directory")
    parser.add_argument("--keep-export", action="store_true", help="keep the export (to time verifiers on it)")
    parser.add_argument("--drop", action="store_true", help="drop the benchmark's schema and stop")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
    name = f"bench_audit_{args.events}"
    if args.drop:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")
        return
    db = fresh_schema(url, name, keep=True)
    app = build_application(KEYS, db, MemoryKeyStore())
    asyncio.run(_build(db, args.events))
    with psycopg.connect(url, autocommit=True) as conn:
        for table in CHAIN_TABLES:
            conn.execute(f"DROP TABLE IF EXISTS {name}.{table}")
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
    path = args.work / f"svodka-audit-speed-{args.events}.jsonl"
    n = args.events
    _, chain_s, chain_cpu = timed(lambda: asyncio.run(bring_up_to_date(db, app, KEYS)), args.profile, "chain")
    result, export_s, export_cpu = timed(lambda: asyncio.run(export(db, app, KEYS, path, figures=False)), args.profile, "export")
    assert result.divergence is None and result.events == n, result
    verified, verify_s, verify_cpu = timed(lambda: verify_file(path), args.profile, "verify")
    assert verified.events == n
    out = {"events": n, "load": round(os.getloadavg()[0], 1), "file_mb": round(path.stat().st_size / 2**20, 1)}
    for phase, wall, cpu in (("chain", chain_s, chain_cpu), ("export", export_s, export_cpu),
                             ("verify", verify_s, verify_cpu)):  # fmt: skip
        out[phase] = {"s": round(wall, 1), "events_per_s": round(n / wall), "cpu_s": round(cpu, 1),
                      "events_per_cpu_s": round(n / cpu)}  # fmt: skip
    print(json.dumps(out), flush=True)
    if not args.keep_export:
        path.unlink()
    app.close()


if __name__ == "__main__":
    main()
