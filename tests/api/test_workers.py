"""`svodka api --workers 2`: two processes on one port serve the same figures for a position,
and /metrics counts for both."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import httpx

from tests.api.conftest import OPERATOR, detention, free_port, operator


def test_two_workers_share_a_port_and_answer_alike(db, tmp_path):
    port = free_port()
    env = {**os.environ, "DATABASE_URL": db.url, "SVODKA_DB_SCHEMA": db.schema, "SVODKA_DATA_DIR": str(tmp_path),
           "SVODKA_OPERATOR_TOKENS": f"hotline:{OPERATOR}", "SVODKA_LOG_FORMAT": "json"}
    process = subprocess.Popen([sys.executable, "-m", "infra", "api", "--workers", "2", "--port", str(port)],
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120  # generous: CI machines are shared
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline and process.poll() is None, "the workers did not start"
            time.sleep(0.2)
        taken = httpx.post(f"{url}/v1/reports", json=detention(), headers=operator(), timeout=30)
        assert taken.status_code == 201
        # Fresh connections, so the kernel spreads them over both workers.
        etags = {httpx.get(f"{url}/v1/stats", timeout=30).headers["etag"] for _ in range(20)}
        assert len(etags) == 1
        # Whichever worker a scrape lands on, it counts the requests both of them answered.
        for _ in range(6):
            scrape = httpx.get(f"{url}/metrics", timeout=30).text
            assert 'svodka_http_requests_total{method="GET",route="/v1/stats",status="200"} 20.0' in scrape
            assert 'svodka_intake_reports_total{outcome="created"} 1.0' in scrape
            assert "svodka_projection_position" in scrape
    finally:
        process.send_signal(signal.SIGTERM)
        output = process.communicate(timeout=90)[0].decode()
    assert process.returncode == 0, output
    assert OPERATOR not in output and "Traceback" not in output
