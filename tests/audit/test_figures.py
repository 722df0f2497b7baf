"""The verifier's own fold against the projector's published figures, now and as of each head."""

from __future__ import annotations

import asyncio

import pytest

from infra.audit.export import export
from infra.audit.part import public_key, run_to_completion
from infra.audit.verify import Diverged, verify_file
from projections import schema
from projections.projector import Projector, connect
from tests.audit.conftest import fetch, seed, sql


def project(db, app) -> None:
    async def run() -> None:
        conn = await connect(db.url, db.schema)
        try:
            await schema.create(conn)
            await Projector(app.mapper).catch_up(conn)
        finally:
            await conn.close()

    asyncio.run(run())


def test_the_published_figures_equal_the_independent_fold(db, keys, pg_app, tmp_path):
    seed(pg_app)
    run_to_completion(db, pg_app, keys)  # a head published before the export
    project(db, pg_app)
    path = tmp_path / "log.jsonl"
    result = asyncio.run(export(db, pg_app, keys, path))
    assert result.figures == 4  # two kinds, now and as of the earlier head
    assert verify_file(path, key=public_key(keys)).figures == 4


def test_an_inflated_read_model_is_caught_naming_its_position(db, keys, pg_app, tmp_path):
    seed(pg_app)
    project(db, pg_app)
    sql(db, "UPDATE {s}.rm_counts SET detained = detained + 100 WHERE city = 'Moscow' AND status = 'verified'")
    path = tmp_path / "log.jsonl"
    asyncio.run(export(db, pg_app, keys, path))
    with pytest.raises(Diverged, match="detention figures for day .*Moscow: published \\(112, 0, 1\\), recomputed \\(12, 0, 1\\)") as caught:
        verify_file(path, key=public_key(keys))
    assert caught.value.position == 12


def test_a_held_flood_is_left_out_by_both_folds(db, keys, pg_app, tmp_path):
    """Twelve reports from one pseudonym in an hour: the last two count only once verified."""
    from datetime import datetime, timedelta, timezone

    from domain.application import NewReport

    when = datetime.now(timezone.utc) - timedelta(hours=1)
    ids = [
        pg_app.submit(NewReport("detention", "telegram", f"flood-{i}", when, reporter="f" * 64, city="Kursk", detained=1)).id
        for i in range(12)
    ]
    pg_app.verify(ids[-1], moderator="anna")
    project(db, pg_app)
    path = tmp_path / "log.jsonl"
    asyncio.run(export(db, pg_app, keys, path))
    verify_file(path, key=public_key(keys))
    [(published,)] = fetch(db, "SELECT sum(detained) FROM {s}.rm_counts WHERE kind = 'detention'")
    assert published == 11  # ten counted before the limit, the eleventh held, the verified twelfth counts


def test_a_history_of_corrected_decisions_replays_and_verifies(db, keys, pg_app, tmp_path):
    """Reopenings, re-pointed duplicates, a merged group, corrections, retractions and votes:
    `svodka replay --verify` and `svodka audit verify` both agree with the live figures."""
    from projections.replay import replay
    from tests.audit.conftest import REPORTER, detention

    ids = seed(pg_app)
    a, b, c, d = (pg_app.submit(detention(f"g{i}", "Moscow", i + 2)).id for i in range(4))
    pg_app.mark_duplicate(b, of=a, moderator="anna")
    pg_app.mark_duplicate(c, of=b, moderator="anna")  # linked to the root a
    pg_app.verify(d, moderator="anna")
    pg_app.mark_duplicate(a, of=d, moderator="boris", reason="the same arrests")  # a's group moves to d
    pg_app.reopen(c, moderator="boris", reason="a different van")
    pg_app.mark_duplicate(b, of=c, moderator="boris", reason="re-pointed")  # b moves to c
    pg_app.reopen(ids["rejected"], moderator="boris", reason="the lawyer confirmed it")
    pg_app.correct(ids["rejected"], by="boris", reason="recount", detained=9)
    pg_app.reopen(ids["moscow"], moderator="boris", reason="video is older")
    pg_app.retract(ids["moscow"], by=REPORTER, reason="sent twice")
    pg_app.confirm_checkpoint(ids["checkpoint"], by="x" * 64)
    pg_app.clear_checkpoint(ids["checkpoint"], by="y" * 64)
    run_to_completion(db, pg_app, keys)
    project(db, pg_app)
    assert asyncio.run(replay(db.url, db.schema, pg_app.mapper, verify=True)).differences == []
    path = tmp_path / "log.jsonl"
    result = asyncio.run(export(db, pg_app, keys, path))
    assert result.divergence is None
    verified = verify_file(path, key=public_key(keys))
    assert verified.figures == result.figures >= 2
    ours = verified.fold.figures("detention", upto=verified.position)
    # Groups count once through their roots: d (5) with a and c (4) with b; Novosibirsk reopened at 9;
    # Saint Petersburg corrected to 31; the retracted and the blocked flood count nothing.
    assert ours[()] == (5, 4 + 9 + 31, 4)
