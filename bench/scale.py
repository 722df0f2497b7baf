"""How cost grows with the log: catch-up, replay, stats p99 (with and without as_of), audit
export and verify (seconds, events/s and peak RSS of each), and memory, for one log size per
run. Run it at 1M and at 10M and compare the lines it appends to the results file
(docs/BENCHMARKS.md, "Ten million events"). `--verify FILE` times only `svodka audit verify` on
an export kept from an earlier run (`--keep-export`).

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test python -m bench.scale --events 10000000

The log is built once per schema (`bench_scale_<events>`, kept between runs) by the fast path
of bench/projection_data.py; the audit export is written under --work (default /tmp), never
in the repository, and deleted after verifying unless --keep-export. Not a test: it times things.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import random
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from bench.projection import Pace, catch_up, fresh_schema, rss_mb
from bench.projection_data import KEYS, ensure_log
from infra.bootstrap import build_application
from infra.crypto import MemoryKeyStore
from projections import queries
from projections.projector import connect, tune_collector
from projections.replay import replay

REGIONS = (None, "RU-MOW", "RU-SPE", "RU-SVE", "RU-NVS", "RU-KRS")


def rss_of(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


@dataclass
class Peak:
    """A process's largest RSS while a phase runs, sampled every 100 ms."""

    pid: int
    mb: float = 0.0
    _stop: threading.Event = field(default_factory=threading.Event)

    def _sample(self) -> None:
        while not self._stop.wait(0.1):
            self.mb = max(self.mb, rss_of(self.pid))


@contextmanager
def peak_rss(pid: int | None = None):
    peak = Peak(pid or os.getpid())
    peak.mb = rss_of(peak.pid)
    sampler = threading.Thread(target=peak._sample, daemon=True)
    sampler.start()
    try:
        yield peak
    finally:
        peak._stop.set()
        sampler.join()


def svodka(args: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Run a `svodka` command as an operator would; its seconds, peak RSS and output."""
    began = time.perf_counter()
    child = subprocess.Popen([str(Path(sys.executable).parent / "svodka"), *args], env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True)  # fmt: skip
    with peak_rss(child.pid) as peak:
        output, _ = child.communicate()
    if child.returncode:
        raise SystemExit(f"svodka {' '.join(args)} exited {child.returncode}:\n{output}")
    return time.perf_counter() - began, peak.mb, output


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))]


async def stats_latency(url: str, schema: str, queries_per_kind: int, seed: int = 7) -> dict:
    """Seconds per `queries.stats` (what GET /v1/stats runs when its render cache misses): a week of
    one region or all, grouped by day, now and as of an instant spread over the log."""
    return (await stats_side_by_side(url, [schema], queries_per_kind, seed))[schema]


async def stats_side_by_side(url: str, schemas: list[str], queries_per_kind: int, seed: int = 7) -> dict:
    """The same stats queries on each schema's read model, one after the other query by query, so
    the logs' sizes are compared under the same load (the order alternates, so neither always
    runs on a cache the other warmed)."""
    sides = []
    for schema in schemas:
        conn = await connect(url, schema)
        first, last = await conn.fetchrow("SELECT min(at), max(at) FROM rm_clock")
        days = [r["day"] for r in await conn.fetch("SELECT DISTINCT day FROM rm_counts ORDER BY day")]
        sides.append((schema, conn, first, last, days, random.Random(seed), {"now": [], "as_of": []}))
    try:
        for i in range(queries_per_kind):
            for label in ("now", "as_of"):
                for schema, conn, first, last, days, rng, took in sides[:: 1 if i % 2 == 0 else -1]:
                    start = rng.choice(days)
                    at = first + (last - first) * rng.random() if label == "as_of" else None
                    began = time.perf_counter()
                    await queries.stats(conn, date_from=start, date_to=start + timedelta(days=6),
                                        region=rng.choice(REGIONS), group_by=("day",), at=at)  # fmt: skip
                    took[label].append(time.perf_counter() - began)
    finally:
        for side in sides:
            await side[1].close()
    return {
        schema: {label: {"p50_ms": percentile(v, 0.5) * 1000, "p99_ms": percentile(v, 0.99) * 1000}
                 for label, v in took.items()}  # fmt: skip
        for schema, _, _, _, _, _, took in sides
    }


def compare_stats(url: str, small: int, large: int, queries_per_kind: int, results: Path) -> None:
    """`/v1/stats` cost at two log sizes, measured side by side: the p99 ratio the issue asks of."""
    names = [f"bench_scale_{small}", f"bench_scale_{large}"]
    figures = asyncio.run(stats_side_by_side(url, names, queries_per_kind))
    out = {"compare_stats": figures, "p99_ratio": {
        label: figures[names[1]][label]["p99_ms"] / figures[names[0]][label]["p99_ms"] for label in ("now", "as_of")}}
    print(f"[{time.strftime('%H:%M:%S')}] stats side by side: {json.dumps(out)}", flush=True)
    with results.open("a") as lines:
        lines.write(json.dumps(out) + "\n")


async def _build(db, events: int) -> float:
    conn = await connect(db.url, db.schema)
    try:
        return await ensure_log(conn, events)
    finally:
        await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=300, help="stats queries per variant (now, as_of)")
    parser.add_argument("--work", type=Path, default=Path("/tmp"), help="where the audit export is written")
    parser.add_argument("--keep-export", action="store_true")
    parser.add_argument("--skip-audit", action="store_true", help="stop after the stats (export takes ~7 min per million)")
    parser.add_argument("--audit-only", action="store_true", help="only export and verify (the log built)")
    parser.add_argument("--skip-replay", action="store_true", help="catch up, then go on to the stats")
    parser.add_argument("--build-only", action="store_true", help="build the log and stop")
    parser.add_argument("--verify", type=Path, metavar="EXPORT", help="only verify this kept export, and stop")
    parser.add_argument("--results", type=Path, default=Path("/tmp/svodka-scale.jsonl"))
    parser.add_argument("--compare-stats", type=int, metavar="SMALLER",
                        help="only time stats on this size's read model and --events's, side by side (both built)")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
    if args.compare_stats:
        compare_stats(url, args.compare_stats, args.events, args.queries, args.results)
        return
    if args.verify:
        verify_only(args.verify, args.results)
        return
    tune_collector()
    db = fresh_schema(url, f"bench_scale_{args.events}", keep=True)
    app = build_application(KEYS, db, MemoryKeyStore())
    out: dict = {"events": args.events}

    def say(what: str) -> None:
        # Each phase's figures are appended as soon as it ends: a 10M run takes hours.
        print(f"[{time.strftime('%H:%M:%S')}] {what}", flush=True)
        with args.results.open("a") as results:
            results.write(json.dumps(out) + "\n")

    if args.build_only:
        built = asyncio.run(_build(db, args.events))
        say(f"log of {args.events:,} events built in {built:.0f} s")
        return
    if args.audit_only:
        audit_steps(url, db, args, out, say)
        app.close()
        return
    ours = asyncio.run(catch_up(db, app.mapper, args.events))
    out["log_built_s"] = ours["built"]
    out["catch_up"] = {"s": ours["seconds"], "events_per_s": ours["rate"], "peak_rss_mb": max(ours["rss"]),
                       "events_per_s_by_tenth": [round(r) for r in ours["tenths"]],
                       "events_per_cpu_s_by_tenth": [round(r) for r in ours["cpu_tenths"]],
                       "events_per_server_cpu_s_by_tenth": [round(r) for r in ours["server_tenths"]]}  # fmt: skip
    say(f"catch-up {ours['events']:,} events in {ours['seconds']:.0f} s = {ours['rate']:,.0f}/s, "
        f"peak RSS {max(ours['rss']):.0f} MB (log built in {ours['built']:.0f} s); "
        f"by tenth {out['catch_up']['events_per_s_by_tenth']}, per CPU-second "
        f"{out['catch_up']['events_per_cpu_s_by_tenth']}, per database CPU-second "
        f"{out['catch_up']['events_per_server_cpu_s_by_tenth']}")  # fmt: skip

    if not args.skip_replay:
        replay_step(db, app, args.events, out)
        say(f"replay {out['replay']['events']:,} events in {out['replay']['s']:.0f} s = "
            f"{out['replay']['events_per_s']:,.0f}/s, peak RSS {out['replay']['peak_rss_mb']:.0f} MB; by tenth "
            f"{out['replay']['events_per_s_by_tenth']}, per CPU-second {out['replay']['events_per_cpu_s_by_tenth']}")

    out["stats"] = asyncio.run(stats_latency(db.url, db.schema, args.queries))
    say(f"stats: {out['stats']}")

    if args.skip_audit:
        return
    audit_steps(url, db, args, out, say)
    app.close()


def audit_steps(url: str, db, args: argparse.Namespace, out: dict, say: Callable[[str], None]) -> None:
    # The auditor's commands as an operator runs them, each in its own process (its own memory).
    path = args.work / f"svodka-audit-{args.events}.jsonl"
    env = {**os.environ, "DATABASE_URL": url, "SVODKA_DB_SCHEMA": db.schema, "SVODKA_LOG_FORMAT": "text",
           "SVODKA_SECRET": KEYS.secret.decode(), "SVODKA_MASTER_KEY": base64.b64encode(KEYS.master_key).decode()}
    for step, argv in (("export", ["audit", "export", str(path)]), ("verify", ["audit", "verify", str(path)])):
        out[step] = audit_step(step, argv, env, args.events)
        say(out[step].pop("said"))
    out["export"]["file_mb"] = path.stat().st_size / 2**20
    if not args.keep_export:
        path.unlink()


def replay_step(db, app, events: int, out: dict) -> None:
    with peak_rss() as peak:
        began = time.perf_counter()
        pace = Pace(events)
        done = asyncio.run(replay(db.url, db.schema, app.mapper, progress=pace))
        seconds = time.perf_counter() - began
    out["replay"] = {"events": done.events, "s": seconds, "events_per_s": done.events / seconds, "peak_rss_mb": peak.mb,
                     "events_per_s_by_tenth": [round(r) for r in pace.rates()],
                     "events_per_cpu_s_by_tenth": [round(r) for r in pace.rates(Pace.CPU)]}  # fmt: skip


def audit_step(step: str, argv: list[str], env: dict[str, str], events: int) -> dict:
    """One auditor's command: seconds, events/s and peak RSS (a streaming verifier stays flat)."""
    seconds, peak, output = svodka(argv, env)
    last = output.strip().splitlines()[-1] if output.strip() else ""
    return {"s": seconds, "events_per_s": events / seconds, "s_per_million": seconds / events * 1e6, "peak_rss_mb": peak,
            "said": f"{step} in {seconds:.0f} s = {events / seconds:,.0f} events/s ({seconds / events * 1e6:.0f} s per "
                    f"million), peak RSS {peak:.0f} MB; {last}"}  # fmt: skip


def verify_only(path: Path, results: Path) -> None:
    """`svodka audit verify` alone on a kept export: what changed in the verifier, on the same file."""
    events = end_line(path)["events"]
    out = {"events": events, "verify": audit_step("verify", ["audit", "verify", str(path)], dict(os.environ), events)}
    print(f"[{time.strftime('%H:%M:%S')}] {out['verify'].pop('said')}", flush=True)
    with results.open("a") as lines:
        lines.write(json.dumps(out) + "\n")


def end_line(path: Path) -> dict:
    """The export's last line (its event count), read from the end of a file of hundreds of MB."""
    with path.open("rb") as export:
        export.seek(max(0, path.stat().st_size - 4096))
        return json.loads(export.read().splitlines()[-1])


if __name__ == "__main__":
    main()
