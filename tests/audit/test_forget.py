"""Crypto-shredding: after "forget me" the personal fields read "erased", while replays, exports,
chain verification and every count are exactly as before."""

from __future__ import annotations

import asyncio
import json

from domain.application import ERASED
from infra.audit.export import export
from infra.audit.part import public_key, run_to_completion
from infra.audit.verify import verify_file
from infra.bootstrap import build_application
from infra.keystore import PostgresKeyStore
from tests.audit.conftest import REPORTER, detention, fetch, seed, sql


def audited(db, keys, app, path):
    result = asyncio.run(export(db, app, keys, path, figures=False))
    assert result.divergence is None
    return verify_file(path, key=public_key(keys))


def test_forgetting_erases_personal_fields_and_changes_no_figure(db, keys, pg_app, tmp_path):
    ids = seed(pg_app)
    other = pg_app.submit(detention("o", "Kursk", 2, "b" * 64, description="другой")).id
    before = audited(db, keys, pg_app, tmp_path / "before.jsonl")
    assert pg_app.personal_fields(ids["moscow"]) == {"description": "у метро", "lat": 55.7558, "lon": 37.6173}

    pg_app.forget_reporter(REPORTER, by="anna")

    # The personal fields are gone, for this process and for any later one; others' are not.
    assert pg_app.personal_fields(ids["moscow"]) == ERASED
    store = PostgresKeyStore(db)
    fresh = build_application(keys, db, store)
    assert fresh.personal_fields(ids["moscow"]) == ERASED
    assert fresh.personal_fields(other) == {"description": "другой"}
    # Replaying the aggregate from its events still gives every countable fact.
    report = fresh.report(ids["moscow"])
    assert (report.city, report.detained, report.status.value) == ("Moscow", 12, "verified")
    fresh.close()
    store.close()
    assert fetch(db, "SELECT count(*) FROM {s}.subject_keys WHERE subject = %s", REPORTER)[0][0] == 0

    # The chain, the export and the offline verification all still succeed ...
    after = audited(db, keys, pg_app, tmp_path / "after.jsonl")
    assert after.position == before.position + 2  # only Reporter.Registered and .Forgotten were added
    # ... and every figure is unchanged, group by group.
    for kind in ("detention", "checkpoint"):
        assert after.fold.figures(kind, upto=after.position) == before.fold.figures(kind, upto=before.position)
    # The exported history up to the old head is byte for byte the same.
    assert event_lines(tmp_path / "after.jsonl")[: before.events] == event_lines(tmp_path / "before.jsonl")


def test_the_chain_rebuilt_from_zero_after_forgetting_matches_the_signed_heads(db, keys, pg_app):
    seed(pg_app)
    signed = run_to_completion(db, pg_app, keys)
    pg_app.forget_reporter(REPORTER, by="anna")
    # Replay the chain projection from position 0 into fresh tables, keeping the published heads.
    sql(db, "DROP TABLE {s}.audit_chain, {s}.audit_chain_tracking")
    rebuilt = run_to_completion(db, pg_app, keys)
    entry = fetch(db, "SELECT hash, facts_hash FROM {s}.audit_chain WHERE notification_id = %s", signed.position)[0]
    assert (bytes(entry[0]), bytes(entry[1])) == (signed.hash, signed.facts_hash)
    assert rebuilt.position == signed.position + 2


def event_lines(path) -> list[str]:
    return [line for line in path.read_text().splitlines() if json.loads(line)["type"] == "event"]
