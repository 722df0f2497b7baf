"""Audit exports give reporters' times to the minute (issue 14): an event's recorded time is set
by a reporter's tap, and to the microsecond it matched reports to accounts whose message times are
known. Events chained with exact times before this rule keep them, so every head signed over them
still verifies; figures published as of an instant are checked at the minute's resolution."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime

import projections.chain as chain_module
from infra.audit.export import export
from infra.audit.part import public_key
from infra.audit.verify import verify_file
from tests.audit.conftest import detention, seed


def events(path) -> list[dict]:
    return [line for line in map(json.loads, path.read_text().splitlines()) if line["type"] == "event"]


def test_every_exported_time_is_to_the_minute_and_the_figures_verify(db, keys, pg_app, tmp_path):
    seed(pg_app)
    path = tmp_path / "log.jsonl"
    result = asyncio.run(export(db, pg_app, keys, path))  # with the read model's figures, as of heads
    assert result.divergence is None
    for event in events(path):
        for name in ("recorded_at", "occurred_at", "seen_at"):
            if name in event["facts"]:
                at = datetime.fromisoformat(event["facts"][name])
                assert (at.second, at.microsecond) == (0, 0), (name, event["facts"])
    checked = verify_file(path, key=public_key(keys))
    assert checked.events == 12


def test_events_chained_with_exact_times_keep_them_and_old_heads_verify(db, keys, pg_app, tmp_path, monkeypatch):
    exact = chain_module.public_facts
    monkeypatch.setattr(chain_module, "public_facts", lambda e, p, exact_time=True: exact(e, p, exact_time=True))
    seed(pg_app)  # chained and signed by the release before minute precision
    before = tmp_path / "before.jsonl"
    asyncio.run(export(db, pg_app, keys, before, figures=False))
    heads = [line for line in map(json.loads, before.read_text().splitlines()) if line["type"] == "head"]
    monkeypatch.setattr(chain_module, "public_facts", exact)

    pg_app.submit(detention("later", "Kazan", 2))  # chained by this release
    after = tmp_path / "after.jsonl"
    result = asyncio.run(export(db, pg_app, keys, after, figures=False))
    assert result.divergence is None

    checked = verify_file(after, key=public_key(keys), extra_heads=heads)
    assert checked.events == 13
    facts = [e["facts"] for e in events(after)]
    old, new = facts[:12], facts[12:]
    assert any(datetime.fromisoformat(f["recorded_at"]).microsecond for f in old)  # as they were chained
    assert all(datetime.fromisoformat(f["recorded_at"]).second == 0 for f in new)
    assert all(datetime.fromisoformat(f["recorded_at"]).microsecond == 0 for f in new)
