"""Rewritten history is caught: in the live database by export, and in the file by verify.

The chain projection saw the original rows, so each test chains and signs first, then tampers
with SQL the way someone holding the database could, and expects the position to be named.
"""

from __future__ import annotations

import asyncio
import base64
import json

import pytest

from infra.audit.export import export
from infra.audit.part import public_key, run_to_completion
from infra.audit.verify import FACTS_GENESIS, GENESIS, Diverged, chain_link, facts_link, verify_file
from projections.chain import ChainRewound
from tests.audit.conftest import seed, sql


@pytest.fixture
def signed(db, keys, pg_app):
    """The seeded history, chained, with a head signed at its end (position 12)."""
    seed(pg_app)
    head = run_to_completion(db, pg_app, keys)
    assert head.position == 12
    return head


def export_and_verify(db, keys, app, tmp_path):
    path = tmp_path / "log.jsonl"
    result = asyncio.run(export(db, app, keys, path, figures=False))
    with pytest.raises(Diverged) as caught:
        verify_file(path, key=public_key(keys))
    return result.divergence, caught.value


def test_one_changed_byte_of_a_stored_state(db, keys, pg_app, signed, tmp_path):
    sql(db, "UPDATE {s}.svodka_events SET state = set_byte(state, 40, get_byte(state, 40) # 1) "
            "WHERE notification_id = 5")
    live, offline = export_and_verify(db, keys, pg_app, tmp_path)
    assert live.position == 5 and "decrypt" in live.what
    assert offline.position == 5 and "differs from the one that was chained" in str(offline)


def test_a_deleted_row(db, keys, pg_app, signed, tmp_path):
    sql(db, "DELETE FROM {s}.svodka_events WHERE notification_id = 4")
    live, offline = export_and_verify(db, keys, pg_app, tmp_path)
    assert (live.position, offline.position) == (4, 4)
    assert "deleted" in str(offline)


def test_two_events_with_swapped_notification_ids(db, keys, pg_app, signed, tmp_path):
    for old, new in ((3, -3), (6, 3), (-3, 6)):
        sql(db, "UPDATE {s}.svodka_events SET notification_id = %s WHERE notification_id = %s", new, old)
    live, offline = export_and_verify(db, keys, pg_app, tmp_path)
    assert (live.position, offline.position) == (3, 3)


def test_a_tail_truncated_after_a_head_was_published(db, keys, pg_app, signed, tmp_path):
    sql(db, "DELETE FROM {s}.svodka_events WHERE notification_id > 8")
    live, offline = export_and_verify(db, keys, pg_app, tmp_path)
    assert (live.position, offline.position) == (9, 9)


def test_a_tail_truncated_with_its_chain_is_refused_at_the_signed_head(db, keys, pg_app, signed, tmp_path):
    sql(db, "DELETE FROM {s}.svodka_events WHERE notification_id > 8")
    sql(db, "DELETE FROM {s}.audit_chain WHERE notification_id > 8")
    sql(db, "UPDATE {s}.audit_chain_tracking SET position = 8, "
            "hash = (SELECT hash FROM {s}.audit_chain WHERE notification_id = 8), "
            "facts_hash = (SELECT facts_hash FROM {s}.audit_chain WHERE notification_id = 8)")
    with pytest.raises(ChainRewound, match="signed at 12"):
        asyncio.run(export(db, pg_app, keys, tmp_path / "log.jsonl", figures=False))


# -- the exported file ------------------------------------------------------------------


@pytest.fixture
def lines(db, keys, pg_app, signed, tmp_path):
    path = tmp_path / "log.jsonl"
    assert asyncio.run(export(db, pg_app, keys, path, figures=False)).divergence is None
    return [json.loads(line) for line in path.read_text().splitlines()]


def verify_lines(keys, lines, tmp_path) -> Diverged:
    path = tmp_path / "altered.jsonl"
    path.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines))
    with pytest.raises(Diverged) as caught:
        verify_file(path, key=public_key(keys))
    return caught.value


def event(lines, position):
    return next(line for line in lines if line["type"] == "event" and line["position"] == position)


def test_an_altered_fact_in_the_file(keys, lines, tmp_path):
    event(lines, 2)["facts"]["detained"] = 300
    caught = verify_lines(keys, lines, tmp_path)
    assert caught.position == 2 and "public facts" in str(caught)


def test_an_altered_state_hash_in_the_file(keys, lines, tmp_path):
    event(lines, 7)["state_sha256"] = "00" * 32
    assert verify_lines(keys, lines, tmp_path).position == 7


def test_a_line_removed_from_the_file(keys, lines, tmp_path):
    lines.remove(event(lines, 6))
    caught = verify_lines(keys, lines, tmp_path)
    assert caught.position == 7 and "after position 5 is missing" in str(caught)


def test_a_file_rechained_consistently_still_contradicts_the_signed_head(keys, lines, tmp_path):
    """Whoever rewrites the facts and recomputes every hash still cannot forge the signature."""
    event(lines, 9)["facts"]["type"] = "Report.Verified"  # the rejection becomes a verification
    chain, facts_chain = GENESIS, FACTS_GENESIS
    for line in lines:
        if line["type"] == "event":
            chain = chain_link(chain, line)
            facts_chain = facts_link(facts_chain, line["position"], line["facts"])
            line["chain"] = {"hash": chain.hex(), "facts_hash": facts_chain.hex()}
    caught = verify_lines(keys, lines, tmp_path)
    assert caught.position == 12 and "head" in str(caught)


def test_a_forged_head_in_the_file(keys, lines, tmp_path):
    head = next(line for line in lines if line["type"] == "head")
    head["position"] = 11
    caught = verify_lines(keys, lines, tmp_path)
    assert caught.position == 11 and "signature" in str(caught)


def test_a_malformed_or_padded_file_is_refused_not_a_traceback(keys, lines, tmp_path):
    del event(lines, 3)["originator_version"]
    caught = verify_lines(keys, lines, tmp_path)
    assert caught.position == 3 and "line 5 is malformed" in str(caught)


def test_lines_after_the_end_are_refused(keys, lines, tmp_path):
    lines.append(dict(event(lines, 12), position=13))
    assert "after the end line" in str(verify_lines(keys, lines, tmp_path))


def test_a_rewrite_by_someone_holding_the_keys_is_caught_by_an_archived_head(db, keys, pg_app, signed, tmp_path):
    """A seizer with the master key can rewrite the log, re-chain it and re-sign every head;
    only a head kept outside the server then contradicts the new history."""
    from infra.audit.commands import run_verify

    archived = tmp_path / "heads.jsonl"
    archived.write_text(json.dumps(signed.as_json()) + "\n")
    sql(db, "DELETE FROM {s}.svodka_events WHERE notification_id = 9")  # the rejection disappears
    sql(db, "DROP TABLE {s}.audit_chain, {s}.audit_chain_tracking, {s}.audit_heads")
    path = tmp_path / "log.jsonl"
    assert asyncio.run(export(db, pg_app, keys, path, figures=False)).divergence is None
    assert verify_file(path, key=public_key(keys)).events == 11  # consistent with itself

    with pytest.raises(Diverged) as caught:
        verify_file(path, key=public_key(keys), extra_heads=[signed.as_json()])
    assert caught.value.position == 12 and "contradicts the head" in str(caught.value)
    pinned = base64.b64encode(public_key(keys)).decode()
    assert run_verify(path, pinned, None, archived) == 1
