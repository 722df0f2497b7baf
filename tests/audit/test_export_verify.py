"""Export then verify: a clean log passes, and the auditor's fold gives the public counts."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta

import pytest

from infra.audit.export import export
from infra.audit.part import public_key
from infra.audit.verify import Diverged, verify_file
from projections.chain import canonical
from tests.audit.conftest import FLOODER, REPORTER, seed


def exported(db, keys, app, path):
    return asyncio.run(export(db, app, keys, path, figures=False))


def test_a_clean_log_exports_and_verifies(db, keys, pg_app, tmp_path):
    seed(pg_app)
    path = tmp_path / "log.jsonl"
    result = exported(db, keys, pg_app, path)
    assert result.divergence is None and result.events == 12

    checked = verify_file(path, key=public_key(keys))
    assert (checked.events, checked.position, checked.heads, checked.key_pinned) == (12, 12, 1, True)
    detentions = checked.fold.figures("detention", upto=checked.position)
    # Moscow 12 verified; St Petersburg corrected 30 -> 31 unverified; rejected and blocked flood out.
    assert detentions[()] == (12, 31, 2)
    assert detentions[(detentions_day(checked), "RU-MOW", "Moscow")] == (12, 0, 1)
    assert checked.fold.figures("checkpoint", upto=checked.position)[()] == (0, 1, 1)


def detentions_day(checked) -> str:
    return next(key[0] for key in checked.fold.figures("detention") if key and key[2] == "Moscow")


def test_as_of_counts_follow_the_log_and_the_minute(db, keys, pg_app, tmp_path):
    ids = seed(pg_app)
    path = tmp_path / "log.jsonl"
    exported(db, keys, pg_app, path)
    events = [json.loads(line) for line in path.read_text().splitlines()]
    times = {e["position"]: datetime.fromisoformat(e["facts"]["recorded_at"]) for e in events if e["type"] == "event"}
    # The fold streams: it keeps figures only where asked before it reads the events.
    before = times[1] - timedelta(microseconds=1)
    fold = verify_file(path, keep=[11, 9, 7], keep_known_at=[before]).fold
    # Before the block (position 12) the flood counted: 3 x 100 more unverified.
    assert fold.figures("detention", upto=11)[()] == (12, 331, 5)
    # Before the correction (position 10), St Petersburg counted 30.
    assert fold.figures("detention", upto=9)[()] == (12, 330, 5)
    # Before any moderation, every report counted as unverified.
    assert fold.figures("detention", upto=7)[()] == (0, 347, 6)
    # Known at an instant, to the minute the facts give: nothing before the first event's minute.
    assert fold.figures("detention", upto=12, at=before)[()] == (0, 0, 0)
    assert fold.figures("detention", upto=12, at=max(times.values()))[()] == (12, 31, 2)
    assert ids["spb"]


def test_exports_show_no_personal_data_and_no_pseudonyms(db, keys, pg_app, tmp_path):
    seed(pg_app)
    path = tmp_path / "log.jsonl"
    exported(db, keys, pg_app, path)
    text = path.read_text()
    for secret in ("у метро", "55.7558", "37.6173", REPORTER, FLOODER, "sealed", "anna", "fake"):
        assert secret not in text


def test_an_unpinned_key_is_reported_and_a_wrong_pin_fails(db, keys, pg_app, tmp_path):
    seed(pg_app)
    path = tmp_path / "log.jsonl"
    exported(db, keys, pg_app, path)
    assert verify_file(path).key_pinned is False
    with pytest.raises(Diverged, match="not the key you pinned"):
        verify_file(path, key=bytes(32))


def test_every_line_is_the_canonical_json_of_itself(db, keys, pg_app, tmp_path):
    """Event lines are assembled from parts (infra/audit/export.py, `_event_text`) rather than
    encoded whole: byte for byte they must be what `canonical` writes, as docs/AUDIT.md says."""
    seed(pg_app)
    path = tmp_path / "log.jsonl"
    exported(db, keys, pg_app, path)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert sum('"type":"event"' in line for line in lines) == 12
    for line in lines:
        assert canonical(json.loads(line)).decode() == line
