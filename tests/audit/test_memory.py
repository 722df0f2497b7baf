"""The verifier streams: its memory does not grow with the number of events in the export.
Nor does the export's with the number of heads.

The export is written here from the format in docs/AUDIT.md (the verifier reads only the file),
so it can be long without a server: a fixed set of reports moderated back and forth, a head every
25 events and a bulletin every 100, so heads, bulletins and events all grow with the log while
the reports, places and days stay the same. 1M events took 809 MB before the fold streamed.
"""

from __future__ import annotations

import asyncio
import base64
import gc
import json
import tracemalloc
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from infra.audit.archive import ArchivedHeads
from infra.audit.export import export
from infra.audit.part import public_key, run_to_completion
from infra.audit.verify import FACTS_GENESIS, GENESIS, chain_link, facts_link, head_message, verify_file
from tests.audit.conftest import fetch, seed, sql

REPORTS = 40
BULLETINS = 10  # one a slot of the evening, however busy: they grow with time, not with events
DAY, REGION, CITY = "2026-11-29", "RU-MOW", "Moscow"
START = datetime(2026, 11, 29, 18, 0, tzinfo=timezone.utc)


def write_export(path: Path, events: int, signer: Ed25519PrivateKey) -> None:
    """A valid export: REPORTS detentions of one person each, then verified and reopened in turn."""
    reports = [str(uuid.UUID(int=i + 1)) for i in range(REPORTS)]
    verified: set[int] = set()
    chain, facts_chain = GENESIS, FACTS_GENESIS
    heads, body, state_before = [], path.with_suffix(".events"), (0, 0)
    previous_bulletin = None
    submitted_at = START + timedelta(seconds=REPORTS)
    with body.open("w") as out:
        for position in range(1, events + 1):
            recorded_at = START + timedelta(seconds=position)
            facts: dict = {"recorded_at": recorded_at.isoformat()}
            state = (len(verified), REPORTS - len(verified)) if position > REPORTS else (0, position - 1)
            if position <= REPORTS:
                oid = reports[position - 1]
                facts.update(type="Report.Submitted", kind="detention", reporter=None, local_day=DAY, region=REGION,
                             city=CITY, occurred_at=START.isoformat(), detained=1)  # fmt: skip
            elif position % (events // BULLETINS) == 0:
                oid = str(uuid.UUID(int=10**6 + position))
                figures = bulletin_figures(state_before, previous_bulletin)
                facts.update(type="Bulletin.Published", slot=recorded_at.isoformat(), as_of_position=position - 2,
                             figures=figures)  # fmt: skip
                previous_bulletin = figures
            else:
                index = position % REPORTS
                oid = reports[index]
                facts["type"] = "Report.Reopened" if index in verified else "Report.Verified"
                (verified.discard if index in verified else verified.add)(index)
            state_before = state
            line = {"type": "event", "position": position, "originator_id": oid, "originator_version": 1,
                    "topic": "domain.model:Report.Event", "state_sha256": "00" * 32, "facts": facts}  # fmt: skip
            chain, facts_chain = chain_link(chain, line), facts_link(facts_chain, position, facts)
            line["chain"] = {"hash": chain.hex(), "facts_hash": facts_chain.hex()}
            out.write(json.dumps(line) + "\n")
            if position % 25 == 0 or position == events:
                heads.append(signed_head(signer, position, chain, facts_chain))
    public = signer.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    header = {"type": "header", "format": "svodka-audit-export", "version": 1, "exported_at": START.isoformat(),
              "position": events, "public_key": base64.b64encode(public).decode(), "genesis": GENESIS.hex(),
              "facts_genesis": FACTS_GENESIS.hex()}  # fmt: skip
    now = {"verified": len(verified), "unverified": REPORTS - len(verified), "reports": REPORTS}
    before_review = {"verified": 0, "unverified": REPORTS, "reports": REPORTS}
    with path.open("w") as out:
        for line in (header, *heads, figures_line(events, None, now),
                     figures_line(REPORTS, submitted_at, before_review)):  # fmt: skip
            out.write(json.dumps(line) + "\n")
        with body.open() as events_lines:
            for text in events_lines:
                out.write(text)
        out.write(json.dumps({"type": "end", "events": events, "position": events}) + "\n")
    body.unlink()


def bulletin_figures(state: tuple[int, int], previous: dict | None) -> dict:
    counts = {"verified": state[0], "unverified": state[1], "reports": sum(state)}
    figures = {"day": DAY, "detentions": counts, "cities": [{"city": CITY, **counts}],
               "others": {"verified": 0, "unverified": 0, "reports": 0}}  # fmt: skip
    if previous is not None:
        figures["change"] = {k: counts[k] - previous["detentions"][k] for k in counts}
    return figures


def figures_line(position: int, at: datetime | None, counts: dict) -> dict:
    return {"type": "figures", "kind": "detention", "at": at.isoformat() if at else None,
            "as_of": {"position": position, "recorded_at": None}, "total": counts,
            "groups": [{"key": {"day": DAY, "region": REGION, "city": CITY}, **counts}]}  # fmt: skip


def signed_head(signer: Ed25519PrivateKey, position: int, chain: bytes, facts_chain: bytes) -> dict:
    head = {"position": position, "hash": chain.hex(), "facts_hash": facts_chain.hex(),
            "signed_at": (START + timedelta(seconds=position)).isoformat()}  # fmt: skip
    return {"type": "head", **head, "signature": signer.sign(head_message(head)).hex()}


def peak_while_verifying(path: Path) -> tuple[int, object]:
    gc.collect()
    tracemalloc.start()
    try:
        result = verify_file(path)
        return tracemalloc.get_traced_memory()[1], result
    finally:
        tracemalloc.stop()


def verified_peaks(tmp_path: Path, write, sizes: tuple[int, ...]) -> Iterator[tuple[int, int, object]]:
    """(size, peak memory verifying it, result) for an export `write(path, size, signer)` writes."""
    signer = Ed25519PrivateKey.generate()
    for size in sizes:
        path = tmp_path / f"export-{size}.jsonl"
        write(path, size, signer)
        yield size, *peak_while_verifying(path)


def test_verifying_four_times_the_events_takes_no_more_memory(tmp_path):
    peaks = {}
    for events, peaks[events], result in verified_peaks(tmp_path, write_export, (3_000, 12_000)):
        # The file really was checked end to end: every event, head, bulletin and figure.
        assert (result.events, result.heads, result.bulletins, result.figures) == (events, events // 25, BULLETINS, 2)
        assert result.fold.figures("detention", upto=result.position)[()][2] == REPORTS
    # Before the fold streamed, the peak grew with the events: about 4x here.
    assert peaks[12_000] < 1.25 * peaks[3_000], peaks


def test_exporting_four_times_the_heads_takes_no_more_memory(db, keys, pg_app, tmp_path):
    """The export streams its heads too (a head a minute is half a million a year); copies of the
    signed head stand in for a long history, since an export's memory must not depend on either."""
    seed(pg_app)
    run_to_completion(db, pg_app, keys)
    peaks = {}
    # Both sizes well past the cursors' 1,000-row fetches: with 1,000 and 4,000 heads the larger
    # peak was 1.19-1.29 times the smaller (half the runs failed): the peak grows up to a few
    # thousand heads (cursor fetches and buffers) and stays flat after; at 4,000 and 16,000 it is 0.88-0.92.
    for heads in (4_000, 16_000):
        copies = heads - fetch(db, "SELECT count(*) FROM {s}.audit_heads")[0][0]
        sql(db, "INSERT INTO {s}.audit_heads (position, hash, facts_hash, signed_at, signature) "
                "SELECT position, hash, facts_hash, signed_at, signature FROM {s}.audit_heads, generate_series(1, %s) "
                "WHERE id = (SELECT min(id) FROM {s}.audit_heads)", copies)  # fmt: skip
        path = tmp_path / f"export-{heads}.jsonl"
        gc.collect()
        tracemalloc.start()
        try:
            result = asyncio.run(export(db, pg_app, keys, path, figures=False))
            peaks[heads] = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert result.divergence is None
        assert verify_file(path, key=public_key(keys)).heads >= heads
    assert peaks[16_000] < 1.25 * peaks[4_000], peaks


def write_reports_export(path: Path, reports: int, signer: Ed25519PrivateKey) -> None:
    """A valid export of `reports` submissions, one a minute from a pool of pseudonyms (no flood),
    each a report of its own: what the fold must hold grows with the reports alone."""
    chain, facts_chain = GENESIS, FACTS_GENESIS
    public = signer.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    with path.open("w") as out:
        out.write(json.dumps({"type": "header", "format": "svodka-audit-export", "version": 1,
                              "exported_at": START.isoformat(), "position": reports,
                              "public_key": base64.b64encode(public).decode(), "genesis": GENESIS.hex(),
                              "facts_genesis": FACTS_GENESIS.hex()}) + "\n")  # fmt: skip
        lines = []
        for position in range(1, reports + 1):
            facts = {"type": "Report.Submitted", "recorded_at": (START + timedelta(minutes=position)).isoformat(),
                     "kind": "detention", "reporter": f"{position % 50:032x}", "local_day": DAY, "region": REGION,
                     "city": CITY, "occurred_at": START.isoformat(), "detained": 1}  # fmt: skip
            line = {"type": "event", "position": position, "originator_id": str(uuid.uuid4()), "originator_version": 1,
                    "topic": "domain.model:Report.Event", "state_sha256": "00" * 32, "facts": facts}  # fmt: skip
            chain, facts_chain = chain_link(chain, line), facts_link(facts_chain, position, facts)
            line["chain"] = {"hash": chain.hex(), "facts_hash": facts_chain.hex()}
            lines.append(json.dumps(line) + "\n")
        out.write(json.dumps(signed_head(signer, reports, chain, facts_chain)) + "\n")
        out.writelines(lines)
        out.write(json.dumps({"type": "end", "events": reports, "position": reports}) + "\n")


def test_the_fold_holds_a_few_dozen_bytes_a_report(tmp_path):
    """What grows with the reports is about 40 bytes each (infra/audit/reports.py), so a 10M-event
    log's 5.2M reports fit in a few hundred MB. A dict of packed records held about 300 bytes each."""
    peaks = {}
    for reports, peaks[reports], result in verified_peaks(tmp_path, write_reports_export, (5_000, 25_000)):
        assert result.fold.figures("detention")[()] == (0, reports, reports)
    per_report = (peaks[25_000] - peaks[5_000]) / 20_000
    assert per_report < 80, per_report


def test_archived_heads_are_walked_not_held(tmp_path):
    """`verify --heads FILE` reads the archive as it walks it (infra/audit/archive.py): four times
    the archived heads take no more memory. Read whole, 4,800 heads were about 4 MB more."""
    export = tmp_path / "export.jsonl"
    write_export(export, 3_000, Ed25519PrivateKey.generate())
    own = [line for line in export.read_text().splitlines() if '"type": "head"' in line]
    peaks = {}
    for copies in (10, 40):
        archive = tmp_path / f"heads-{copies}.jsonl"
        archive.write_text("".join(line + "\n" for line in own for _ in range(copies)))
        gc.collect()
        tracemalloc.start()
        try:
            result = verify_file(export, extra_heads=ArchivedHeads(archive))
            peaks[copies] = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert (result.events, result.heads, result.unchecked) == (3_000, 120, [])
    assert peaks[40] < 1.25 * peaks[10], peaks
