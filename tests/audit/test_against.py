"""`svodka audit verify --against URL`: the server's key, head and /v1/stats, over real HTTP."""

from __future__ import annotations

import asyncio

import pytest

from api.context import ApiConfig
from infra.audit.commands import run_verify
from infra.audit.export import export
from infra.audit.part import public_key
from tests.api.conftest import Served
from tests.audit.conftest import seed, sql
from tests.audit.test_figures import project


@pytest.fixture
def served(db, keys, pg_app):
    seed(pg_app)
    project(db, pg_app)
    server = Served(ApiConfig(database_url=db.url, schema=db.schema, application=pg_app,
                              audit_public_key=public_key(keys)))
    yield server
    server.stop()


def test_verify_against_a_running_server_agrees(db, keys, pg_app, served, tmp_path, capsys):
    path = tmp_path / "log.jsonl"
    asyncio.run(export(db, pg_app, keys, path))
    assert run_verify(path, None, served.url) == 0
    out = capsys.readouterr().out
    assert "(pinned)" in out and "detention figures at position 12 match" in out


def test_verify_against_a_server_publishing_other_figures_fails(db, keys, pg_app, served, tmp_path, capsys):
    path = tmp_path / "log.jsonl"
    asyncio.run(export(db, pg_app, keys, path, figures=False))
    sql(db, "UPDATE {s}.rm_counts SET reports = reports + 1 WHERE kind = 'checkpoint'")
    assert run_verify(path, None, served.url) == 1
    assert "DIVERGED at position 12: checkpoint figures" in capsys.readouterr().err


def test_verify_against_a_server_with_another_key_fails(db, keys, pg_app, served, tmp_path, capsys):
    path = tmp_path / "log.jsonl"
    asyncio.run(export(db, pg_app, keys, path, figures=False))
    assert run_verify(path, "A" * 43 + "=", served.url) == 1
    assert "not the key you pinned" in capsys.readouterr().err


def test_a_server_that_moved_on_is_compared_as_of_the_export(db, keys, pg_app, served, tmp_path, capsys):
    from tests.audit.conftest import detention

    path = tmp_path / "log.jsonl"
    asyncio.run(export(db, pg_app, keys, path, figures=False))
    pg_app.submit(detention("later", "Moscow", 7))
    project(db, pg_app)
    assert run_verify(path, None, served.url) == 0, capsys.readouterr()
    assert "detention figures as of" in capsys.readouterr().out


def test_a_server_behind_the_export_is_compared_at_its_own_position(db, keys, pg_app, served, tmp_path, capsys):
    """The fold streams, so it keeps the server's (earlier) position only because it read it first."""
    from tests.audit.conftest import detention

    pg_app.submit(detention("not projected yet", "Moscow", 7))
    path = tmp_path / "log.jsonl"
    asyncio.run(export(db, pg_app, keys, path, figures=False))
    assert run_verify(path, None, served.url) == 0, capsys.readouterr()
    out = capsys.readouterr().out
    assert "events        13" in out and "detention figures at position 12 match" in out
