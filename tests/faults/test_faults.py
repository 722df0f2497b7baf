"""Faults under load, against the real CLI processes on a PostgreSQL cluster each test owns.

After each fault: every acknowledged report is stored once (none lost, none duplicated, none
stored that was not acknowledged), /v1/stats equals the clients' own sums, `svodka replay
--verify` exits 0, the clients saw no 5xx other than 503, and what was not restarted by the
test recovered by itself.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.faults.cluster import PgCluster, wait_for
from tests.faults.conftest import TOKENS, stored_report_ids
from tests.faults.load import Clients, Outcomes

pytestmark = pytest.mark.slow
PER_CLIENT = 30  # 4 clients: 120 reports per test, about a third of them with a description


def check_after(pg: PgCluster, system, outcomes: Outcomes, running: list[tuple[subprocess.Popen, Path]]) -> None:
    assert not outcomes.unexpected, outcomes.unexpected[:5]
    assert set(outcomes.statuses) <= {200, 201, 503}, outcomes.statuses
    assert len(outcomes.acknowledged) == len(TOKENS) * PER_CLIENT
    acknowledged = {report_id for report_id, _ in outcomes.acknowledged.values()}
    stored = stored_report_ids(pg)
    assert len(stored) == len(set(stored)) == len(acknowledged)  # none duplicated
    assert set(stored) == acknowledged  # none lost, none stored without an acknowledgement

    detained = sum(count for _, count in outcomes.acknowledged.values())
    expected = {"verified": 0, "unverified": detained, "reports": len(acknowledged)}
    last: dict = {}

    def stats_match() -> bool:
        nonlocal last
        try:
            answer = httpx.get(f"{system.url}/v1/stats", params={"kind": "detention"}, timeout=10)
        except httpx.HTTPError as error:
            last = {"error": repr(error)}
            return False
        last = answer.json().get("total", {}) if answer.status_code == 200 else {"status": answer.status_code}
        return last == expected

    try:
        wait_for("/v1/stats to reach the clients' sums", stats_match, 120)
    except AssertionError as error:
        tails = "\n".join(f"--- {log.name}\n{log.read_text()[-2500:]}" for _, log in running)
        raise AssertionError(f"{error}: expected {expected}, last {last}\n{tails}") from None
    replay = system.replay_verify()
    assert replay.returncode == 0, replay.stdout[-2000:] + replay.stderr[-2000:]
    for process, log in running:
        assert process.poll() is None, f"{log.name} died:\n{log.read_text()[-3000:]}"
        text = log.read_text()
        assert "Traceback" not in text and "unhandled error" not in text, text[-3000:]


def test_kill_9_of_the_api_during_load(pg, svodka_for):
    system = svodka_for()
    api = system.start_api()
    projector = system.start("project")
    clients = Clients(system.url, TOKENS, PER_CLIENT).start()
    folding(system, projector)
    os.kill(api[0].pid, signal.SIGKILL)
    api[0].wait(timeout=30)
    restarted = system.start_api()
    check_after(pg, system, clients.join(), [restarted, projector])


def test_kill_9_of_the_active_projector_with_a_hot_standby(pg, svodka_for):
    system = svodka_for()
    api = system.start_api()
    active = system.start("project")
    clients = Clients(system.url, TOKENS, PER_CLIENT).start()
    folding(system, active)
    standby = system.start("project")
    clients.wait_for_acks(40)
    os.kill(active[0].pid, signal.SIGKILL)
    active[0].wait(timeout=30)
    check_after(pg, system, clients.join(), [api, standby])


def test_postgres_stopped_immediately_then_started_with_two_workers(pg, svodka_for):
    system = svodka_for()
    api = system.start_api(workers=2)
    projector = system.start("project")
    clients = Clients(system.url, TOKENS, PER_CLIENT).start()
    folding(system, projector)
    pg.stop("immediate")
    time.sleep(3)
    pg.start()
    outcomes = clients.join()
    check_after(pg, system, outcomes, [api, projector])  # neither was restarted


def test_redis_stopped_then_frozen(pg, svodka_for, redis_server):
    system = svodka_for(REDIS_URL=redis_server.url)
    api = system.start_api()
    projector = system.start("project")
    clients = Clients(system.url, TOKENS, PER_CLIENT).start()
    folding(system, projector)
    redis_server.stop()
    clients.wait_for_acks(50)
    redis_server.start()
    clients.wait_for_acks(70)
    redis_server.freeze()
    try:
        outcomes = clients.join()
    finally:
        redis_server.thaw()
    check_after(pg, system, outcomes, [api, projector])


def test_sigterm_of_the_api_with_two_workers_during_load(pg, svodka_for):
    system = svodka_for()
    api = system.start_api(workers=2)
    projector = system.start("project")
    clients = Clients(system.url, TOKENS, PER_CLIENT).start()
    folding(system, projector)
    api[0].send_signal(signal.SIGTERM)
    assert api[0].wait(timeout=60) == 0, api[1].read_text()[-3000:]
    restarted = system.start_api(workers=2)
    check_after(pg, system, clients.join(), [restarted, projector])


def folding(system, projector: tuple[subprocess.Popen, Path]) -> None:
    """The fault comes once the system is up: the projector has folded some of the load."""
    wait_for("the projector to fold reports", lambda: _position(system) > 0, 120, *projector)


def _position(system) -> int:
    try:
        return int(httpx.get(f"{system.url}/v1/stats", timeout=5).headers.get("x-as-of-position", 0))
    except (httpx.HTTPError, ValueError):
        return 0
