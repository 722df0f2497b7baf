"""The benchmarks' synthetic log: a long log must not create one aggregate twice."""

from __future__ import annotations

from bench.projection_data import _chunk


def test_chunks_far_apart_in_a_long_log_create_distinct_reporters():
    # A 10M log has 1,000 chunks; chunks 0 and 100 used to block the same pseudonym, and
    # building the log failed with UniqueViolationError on svodka_events_pkey.
    total = 10_000_000
    first, later = _chunk(0, 3000, total), _chunk(100, 3000, total)
    for rows in (first, later):
        assert any("Reporter" in topic for _, _, topic, _ in rows), "a chunk blocks nobody: the test proves nothing"
    keys = [(originator, version) for originator, version, _, _ in first + later]
    assert len(keys) == len(set(keys)), "an (originator_id, originator_version) repeats across chunks"
