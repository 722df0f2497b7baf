"""Public reads from a real streaming replica (initdb, pg_basebackup -R, pg_ctl on free ports):
figures arrive with the replica's position, /readyz fails while it lags, and when it stops,
reads fall back to the primary with a log line and a metric."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from api.context import ApiConfig
from infra.bootstrap import build_application
from infra.database import Database
from infra.keystore import PostgresKeyStore
from tests.api.conftest import OPERATOR, Served, detention, free_port, operator, project, settled

BIN = Path("/usr/lib/postgresql/15/bin")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not (BIN / "pg_basebackup").exists() or shutil.which("runuser") is None or os.geteuid() != 0,
                       reason="needs Debian's PostgreSQL 15 binaries and root (to run them as postgres via runuser)"),
]  # fmt: skip


def as_postgres(*argv: str) -> None:
    subprocess.run(["runuser", "-u", "postgres", "--", *argv], check=True, capture_output=True, timeout=120)


class Cluster:
    def __init__(self, base: Path, name: str) -> None:
        self.data, self.port, self.log = base / name, free_port(), base / f"{name}.log"
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        self.running = False

    def start(self) -> None:
        as_postgres(str(BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-w", "-o",
                    f"-p {self.port} -k {self.data.parent} -c listen_addresses=127.0.0.1 -c fsync=off", "start")  # fmt: skip
        self.running = True

    def stop(self, mode: str = "fast") -> None:
        if self.running:
            as_postgres(str(BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")
            self.running = False

    def sql(self, statement: str) -> None:
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(statement)


@pytest.fixture
def pair() -> Iterator[tuple[Cluster, Cluster]]:
    base = Path(tempfile.mkdtemp(prefix="svodka-replica-"))
    shutil.chown(base, "postgres", "postgres")
    primary, standby = Cluster(base, "primary"), Cluster(base, "standby")
    try:
        as_postgres(str(BIN / "initdb"), "-D", str(primary.data), "--auth=trust", "-U", "postgres", "--no-sync")
        primary.start()
        as_postgres(str(BIN / "pg_basebackup"), "-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres",
                    "-D", str(standby.data), "-R", "-X", "stream", "--no-sync")  # fmt: skip
        standby.start()
        yield primary, standby
    finally:
        for cluster in (standby, primary):
            try:
                cluster.stop("immediate")
            except subprocess.CalledProcessError:
                pass
        shutil.rmtree(base, ignore_errors=True)


def readiness(served: Served) -> tuple[int, dict]:
    answer = served.client.get("/readyz")
    return answer.status_code, answer.json()


def eventually(check, seconds: float = 20.0):
    deadline = time.monotonic() + seconds
    while not (value := check()):
        if time.monotonic() > deadline:
            return value
        time.sleep(0.05)
    return value


def test_reads_come_from_the_replica_at_its_position_then_fall_back_to_the_primary(pair, keys, caplog):
    primary, standby = pair
    schema = "svodka"
    primary.sql(f"CREATE SCHEMA {schema}")
    db = Database(primary.url, schema)
    store = PostgresKeyStore(db)
    application = build_application(keys, db, store)
    served = Served(ApiConfig(
        database_url=primary.url, schema=schema, application=application, operator_tokens={OPERATOR: "hotline"},
        redis_prefix=f"svodka-test-{uuid.uuid4().hex[:8]}:", position_refresh_seconds=0.05,
        read_database_urls=[standby.url],
        replica_max_lag_events=0, replica_retry_seconds=600,
    ))  # fmt: skip
    caplog.set_level(logging.INFO, logger="svodka.api")
    try:
        # Written through the API (to the primary), read back from the replica at its position.
        assert served.client.post("/v1/reports", json=detention(detained=3), headers=operator()).status_code == 201
        first = project(db, application)
        answer = settled(served.client, first, kind="detention")
        assert answer.json()["as_of"]["position"] == first and answer.json()["total"]["unverified"] == 3
        assert eventually(lambda: readiness(served)[0] == 200), readiness(served)
        assert readiness(served)[1]["replica"] == "ok", [(r.getMessage(), r.__dict__.get("error")) for r in caplog.records]

        # The replica stops applying: its figures stay at its own position and /readyz fails.
        standby.sql("SELECT pg_wal_replay_pause()")
        assert served.client.post("/v1/reports", json=detention(detained=4), headers=operator()).status_code == 201
        second = project(db, application)
        assert eventually(lambda: readiness(served)[1]["replica_lag_events"] == second - first), readiness(served)
        status, body = readiness(served)
        assert status == 503 and body["replica"] == "behind"
        stale = served.client.get("/v1/stats", params={"kind": "detention"}).json()
        assert stale["as_of"]["position"] == first and stale["total"]["unverified"] == 3

        standby.sql("SELECT pg_wal_replay_resume()")
        caught_up = settled(served.client, second, kind="detention")
        assert caught_up.json()["as_of"]["position"] == second and caught_up.json()["total"]["unverified"] == 7
        assert eventually(lambda: readiness(served)[0] == 200), readiness(served)

        # The replica goes away: reads fall back to the primary, with a log line and a metric.
        standby.stop()
        assert served.client.post("/v1/reports", json=detention(detained=5), headers=operator()).status_code == 201
        third = project(db, application)
        after = settled(served.client, third, kind="detention")
        assert after.status_code == 200 and after.json()["total"]["unverified"] == 12
        assert any(r.getMessage() == "public reads fall back" and r.source == "replica1" for r in caplog.records)
        metrics = served.client.get("/metrics").text
        assert 'svodka_read_fallbacks_total{source="replica1"}' in metrics
        assert 'svodka_read_source{source="primary"} 1.0' in metrics
        status, body = readiness(served)
        assert status == 200 and body["replica"] == "primary"
        assert served.client.get("/").status_code == 200  # the dashboard reads through the same fallback
    finally:
        served.stop()
        application.close()
        store.close()
