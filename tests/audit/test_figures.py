"""The verifier's own fold against the projector's published figures, now and as of each head."""

from __future__ import annotations

import asyncio

import pytest

from infra.audit_export import export
from infra.audit_part import public_key, run_to_completion
from infra.audit_verify import Diverged, verify_file
from projections import schema
from projections.projector import Projector, connect
from tests.audit.conftest import seed, sql


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
