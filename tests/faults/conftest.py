"""Fault-suite fixtures: each test its own PostgreSQL cluster, processes and ports, so tests are
independent and can run in parallel processes."""

from __future__ import annotations

import base64
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from tests.faults.cluster import PgCluster, PgTemplate, RedisServer, Svodka

TOKENS = [f"fault-operator-token-{i:02d}-0123456789" for i in range(4)]


@pytest.fixture(scope="session")
def pg_template() -> Iterator[PgTemplate]:
    if not shutil.which("runuser") or not (Path("/usr/lib/postgresql/15/bin/initdb")).exists():
        pytest.skip("the fault suite needs PostgreSQL 15's initdb and runuser")
    template = PgTemplate()
    yield template
    template.remove()


@pytest.fixture
def workdir() -> Iterator[Path]:
    # Not pytest's tmp_path: the postgres user must be able to reach the cluster's files.
    path = Path(tempfile.mkdtemp(prefix="svodka-fault-run-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def pg(pg_template: PgTemplate, workdir: Path) -> Iterator[PgCluster]:
    cluster = pg_template.cluster(workdir.name)
    cluster.start()
    yield cluster
    cluster.remove()


@pytest.fixture
def redis_server(workdir: Path) -> Iterator[RedisServer]:
    server = RedisServer(workdir)
    server.start()
    yield server
    server.stop()


def svodka_env(pg: PgCluster, workdir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DATABASE_URL", "SVODKA_", "TELEGRAM_", "WEBHOOK_", "REDIS_URL"))}
    env.update({
        "DATABASE_URL": pg.url,
        "SVODKA_DATA_DIR": str(workdir / "data"),
        "SVODKA_SECRET": "fault-suite-secret-" + "x" * 20,
        "SVODKA_MASTER_KEY": base64.b64encode(bytes(range(32))).decode(),
        "SVODKA_OPERATOR_TOKENS": ",".join(f"client{i}:{t}" for i, t in enumerate(TOKENS)),
        "SVODKA_LOG_FORMAT": "json",
        "SVODKA_LOG_LEVEL": "WARNING",
    })
    env.update(extra)
    return env


@pytest.fixture
def svodka_for(pg: PgCluster, workdir: Path) -> Iterator:
    started: list[Svodka] = []

    def make(**extra: str) -> Svodka:
        system = Svodka(workdir, svodka_env(pg, workdir, **extra))
        started.append(system)
        return system

    yield make
    for system in started:
        system.stop_all()


def stored_report_ids(pg: PgCluster) -> list[str]:
    """Every report's id as the event store has it: one first event per report."""
    with psycopg.connect(pg.url, connect_timeout=10) as conn:
        rows = conn.execute("SELECT originator_id FROM svodka_events WHERE originator_version = 1").fetchall()
    return [str(row[0]) for row in rows]
