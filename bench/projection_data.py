"""Synthetic event logs for the projection benchmarks: real domain events from the real
aggregates, encrypted by the application's own mapper, COPYed into the events table.

Encrypting a million events takes a while, so a log is built once per schema and reused
(`ensure_log` checks the count). The mix, per report: submitted; verified 40%, rejected 10%,
corrected 5%, retracted 2%; a fifth are checkpoints, confirmed 0-3 times and cleared 30%.
One pseudonym in 500 is registered and blocked (a tenth of those unblocked). Recorded times
spread over ten days, in log order per aggregate, as a real evening's reports would be.
"""

from __future__ import annotations

import multiprocessing
import random
import time
import uuid
from datetime import datetime, timedelta, timezone

import asyncpg

from domain.report import Report
from domain.reporter import Reporter
from infra.bootstrap import build_application
from infra.keys import Keys

KEYS = Keys(secret=b"bench-secret-" * 3, master_key=bytes(range(32)))  # fixed: a reused log must decode
START = datetime(2026, 3, 1, tzinfo=timezone.utc)
SPAN = timedelta(days=10)
CHUNK = 10_000
PSEUDONYMS = 50_000
PLACES = (("RU-MOW", "Moscow"), ("RU-SPE", "Saint Petersburg"), ("RU-SVE", "Yekaterinburg"),
          ("RU-NVS", "Novosibirsk"), ("RU-KRS", "Kursk"), ("RU-KRS", None))  # fmt: skip


def _report_events(rng: random.Random, at: datetime) -> list:
    region, city = rng.choice(PLACES)
    checkpoint = rng.random() < 0.2
    who = f"{rng.randrange(PSEUDONYMS):064x}" if rng.random() < 0.9 else None
    report = Report(
        id=uuid.uuid4(), kind="checkpoint" if checkpoint else "detention", channel="telegram" if who else "operator",
        reporter=who, region=region, city=city, occurred_at=at - timedelta(minutes=rng.randrange(600)),
        local_day=(at + timedelta(hours=3)).date().isoformat(), detained=None if checkpoint else rng.randint(1, 40),
        coarse_lat=55.75 + rng.random(), coarse_lon=37.61 + rng.random(), subject=who or "operator", sealed=None,
    )  # fmt: skip
    if checkpoint:
        for _ in range(rng.randrange(4)):
            report.confirm(by=f"{rng.randrange(PSEUDONYMS):064x}", seen_at=at)
        if rng.random() < 0.3:
            report.clear_as_moderator("m", at)
    roll = rng.random()
    if roll < 0.05 and not checkpoint:
        report.correct(by="m", reason="recount", detained=rng.randint(1, 40), region=region, city=city,
                       occurred_at=report.occurred_at, local_day=report.local_day,
                       coarse_lat=report.coarse_lat, coarse_lon=report.coarse_lon)  # fmt: skip
    if roll < 0.40:
        report.verify("m", None)
    elif roll < 0.50:
        report.reject("m", "fake")
    elif roll < 0.52 and who:
        report.retract(by=who)
    return report.collect_events()


def blocked_number(index: int, blocks: int, chunks: int) -> int:
    """The pseudonym number of a chunk's `blocks`-th blocked reporter (from 1): distinct for every
    (chunk, block), so no reporter aggregate is created twice however long the log. Numbers below
    PSEUDONYMS are reporters who also send reports; above, blocked pseudonyms with none."""
    return (blocks - 1) * chunks + index


def _reporter_events(rng: random.Random, number: int) -> list:
    reporter = Reporter(pseudonym=f"{number:064x}")
    reporter.block("m", "flood")
    if rng.random() < 0.1:
        reporter.unblock("m", "appeal")
    return reporter.collect_events()


def _chunk(index: int, events: int, total: int) -> list[tuple]:
    """One slice of the log, encrypted; its recorded times lie in its own slice of SPAN."""
    rng = random.Random(index)
    app = build_application(KEYS, None)
    window = SPAN * (events / total)
    begin = START + SPAN * (index * CHUNK / total)
    timed: list[tuple[datetime, int, object]] = []
    blocks = 0
    while len(timed) < events:
        at = begin + window * rng.random()
        if rng.random() < 0.002:
            blocks += 1
            group = _reporter_events(rng, blocked_number(index, blocks, -(-total // CHUNK)))
        else:
            group = _report_events(rng, at)
        for step, event in enumerate(group):
            timed.append((at + timedelta(seconds=30 * step), len(timed), event))
    timed.sort(key=lambda t: (t[0], t[1]))
    rows = []
    for at, _, event in timed[:events]:
        object.__setattr__(event, "timestamp", at)
        stored = app.mapper.to_stored_event(event)
        rows.append((stored.originator_id, stored.originator_version, stored.topic, stored.state))
    return rows


async def ensure_log(conn: asyncpg.Connection, total: int, processes: int = 2) -> float:
    """Make the events table hold `total` synthetic events; return seconds spent building it."""
    have = await conn.fetchval("SELECT count(*) FROM svodka_events")
    if have == total:
        return 0.0
    await conn.execute("TRUNCATE svodka_events RESTART IDENTITY")
    started = time.perf_counter()
    sizes = [min(CHUNK, total - i) for i in range(0, total, CHUNK)]
    with multiprocessing.get_context("fork").Pool(processes) as pool:
        # imap keeps chunk order, so notification ids follow recorded times across chunks.
        for rows in pool.imap(_star_chunk, [(i, n, total) for i, n in enumerate(sizes)]):
            await conn.copy_records_to_table(
                "svodka_events", records=rows, columns=["originator_id", "originator_version", "topic", "state"]
            )
    await conn.execute("ANALYZE svodka_events")
    return time.perf_counter() - started


def _star_chunk(args: tuple) -> list[tuple]:
    return _chunk(*args)
