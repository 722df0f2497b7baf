"""The verifier's own fold against the projector's published figures, now and as of each head."""

from __future__ import annotations

import asyncio

import pytest

from infra.audit_export import export
from infra.audit_part import public_key, run_to_completion
from infra.audit_verify import Diverged, verify_file
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
