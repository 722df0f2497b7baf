"""Tokens issued with `svodka tokens`: stored as hashes, seen by every worker without a restart."""

from __future__ import annotations

import base64
import os
import time
import uuid

import psycopg
import pytest
from typer.testing import CliRunner

from infra.cli import cli
from infra.tokens import issue, listing, revoke
from tests.api.conftest import detention, moderator, operator


def eventually(check, seconds: float = 10.0):
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.05)


def test_an_issued_token_works_on_every_worker_and_revoking_it_stops_it(serve, db):
    workers = [serve(token_refresh_seconds=0.1), serve(token_refresh_seconds=0.1)]
    token = issue(db, "hotline-east", "operator")

    def intake(worker) -> int:
        return worker.client.post("/v1/reports", json=detention(), headers=operator(token=token)).status_code

    for worker in workers:
        assert eventually(lambda w=worker: intake(w) == 201), "a worker never accepted the new token"
    report = workers[0].client.post("/v1/reports", json=detention(), headers=operator("k1", token=token))
    assert report.status_code == 201

    assert revoke(db, "hotline-east")
    for worker in workers:
        assert eventually(lambda w=worker: intake(w) == 401), "a worker still accepts a revoked token"


def test_the_name_is_recorded_and_only_a_hash_is_stored(serve, db, application):
    worker = serve(token_refresh_seconds=0.1)
    token = issue(db, "partner-ngo", "operator")
    answer = eventually(lambda: (a := worker.client.post("/v1/reports", json=detention(),
                                                        headers=operator(token=token))).status_code == 201 and a)
    assert answer, "the issued token was never accepted"
    assert application.report(uuid.UUID(answer.json()["id"])).channel == "operator:partner-ngo"
    with psycopg.connect(db.url, options=f"-c search_path={db.schema}") as conn:
        stored = conn.execute("SELECT * FROM api_tokens").fetchall()
    assert token.encode() not in repr(stored).encode() and token not in repr(stored)
    # Last use reaches the table within a refresh or two, off the request path.
    assert eventually(lambda: listing(db)[0].last_used_at is not None)


def test_an_issued_moderator_token_moderates_and_cannot_take_intake(serve, db):
    worker = serve(token_refresh_seconds=0.1)
    token = issue(db, "olga", "moderator")
    assert eventually(lambda: worker.client.get("/v1/moderation/queue", headers=moderator(token)).status_code == 200)
    assert worker.client.post("/v1/reports", json=detention(), headers=operator(token=token)).status_code == 403


def test_environment_tokens_keep_working_beside_issued_ones(serve, db):
    worker = serve(token_refresh_seconds=0.1)
    issue(db, "hotline-west", "operator")
    assert worker.client.post("/v1/reports", json=detention(), headers=operator()).status_code == 201


@pytest.fixture
def configured(db, monkeypatch):
    for name, value in {
        "DATABASE_URL": db.url,
        "SVODKA_DB_SCHEMA": db.schema,
        "SVODKA_SECRET": "s" * 48,
        "SVODKA_MASTER_KEY": base64.b64encode(os.urandom(32)).decode(),
        "SVODKA_LOG_FORMAT": "text",
    }.items():
        monkeypatch.setenv(name, value)


def test_the_cli_prints_a_token_once_lists_without_it_and_logs_names(configured):
    runner = CliRunner()
    added = runner.invoke(cli, ["tokens", "add", "hotline-north", "--role", "operator"])
    assert added.exit_code == 0, added.output
    token = added.stdout.strip()
    assert len(token) >= 40
    assert "token issued" in added.output and "hotline-north" in added.output

    again = runner.invoke(cli, ["tokens", "add", "hotline-north"])
    assert again.exit_code == 2 and "exists" in again.output

    listed = runner.invoke(cli, ["tokens", "list"])
    assert listed.exit_code == 0
    assert "hotline-north" in listed.output and "operator" in listed.output and "never" in listed.output
    assert token not in listed.output

    revoked = runner.invoke(cli, ["tokens", "revoke", "hotline-north"])
    assert revoked.exit_code == 0 and "token revoked" in revoked.output and "hotline-north" in revoked.output
    assert "hotline-north" not in runner.invoke(cli, ["tokens", "list"]).output
    assert runner.invoke(cli, ["tokens", "revoke", "hotline-north"]).exit_code == 2


def test_the_cli_refuses_an_unknown_role(configured):
    result = CliRunner().invoke(cli, ["tokens", "add", "x", "--role", "admin"])
    assert result.exit_code == 2 and "operator or moderator" in result.output
