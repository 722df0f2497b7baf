"""Catch-up throughput of this tree's projector against an earlier commit's, in alternating
rounds on the same 1M-event log, so both meet the same neighbours' load; each round's ratio is
reported and the median is the figure.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test python -m bench.projection_compare 7ad9176

The earlier commit is exported with `git archive` into a temporary directory and run from there
in its own process; each run is `bench.projection.catch_up` (fresh tables, two connections, the
whole log). The log is the one `python -m bench.projection` builds and keeps.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ONE_RUN = """
import asyncio, json, os
from bench.projection import catch_up, fresh_schema
from bench.projection_data import KEYS
from infra.bootstrap import build_application
from infra.crypto import MemoryKeyStore
from projections.projector import tune_collector
tune_collector()
db = fresh_schema(os.environ["DATABASE_URL"], os.environ["BENCH_SCHEMA"], keep=True)
app = build_application(KEYS, db, MemoryKeyStore())
r = asyncio.run(catch_up(db, app.mapper, int(os.environ["BENCH_EVENTS"])))
app.close()
print(json.dumps(dict(rate=r["rate"], cpu=r["cpu"] / r["events"], server=r["server"] / r["events"],
                      peak=max(r["rss"]), load=os.getloadavg()[0])))
"""


def run(tree: Path, env: dict) -> dict:
    out = subprocess.run([sys.executable, "-c", ONE_RUN], cwd=tree, env={**env, "PYTHONPATH": str(tree)},
                         check=True, capture_output=True, text=True)  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("base", help="the earlier commit (any git revision)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--schema", default="bench_projection")
    args = parser.parse_args()
    env = {**os.environ, "BENCH_SCHEMA": args.schema, "BENCH_EVENTS": str(args.events)}
    env.setdefault("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
    with tempfile.TemporaryDirectory() as base:
        archive = subprocess.run(["git", "archive", args.base], cwd=ROOT, check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", base], input=archive, check=True)
        ratios = []
        for round_ in range(args.rounds):
            before, after = run(Path(base), env), run(ROOT, env)
            ratios.append(after["rate"] / before["rate"])
            for name, r in (("base", before), ("this", after)):
                print(f"round {round_ + 1} {name}: {r['rate']:,.0f} events/s, projector {r['cpu'] * 1e6:.1f} us/event, "
                      f"PostgreSQL {r['server'] * 1e6:.1f} us/event, peak RSS {r['peak']:.0f} MB, load {r['load']:.1f}")  # fmt: skip
            print(f"round {round_ + 1}: {ratios[-1]:.2f}x", flush=True)
    print(f"ratio (median of {len(ratios)} rounds): {sorted(ratios)[len(ratios) // 2]:.2f}x")


if __name__ == "__main__":
    main()
