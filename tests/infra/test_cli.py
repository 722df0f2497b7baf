"""The command line: every command listed, the unbuilt ones honest, `serve` up on the embedded DB."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from infra.cli import cli


def test_help_lists_every_command():
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    for command in ("serve", "api", "bot", "project", "replay", "audit"):
        assert command in result.output


def test_configuration_error_names_the_variable(monkeypatch):
    monkeypatch.setenv("SVODKA_ENV", "production")
    monkeypatch.delenv("SVODKA_SECRET", raising=False)
    result = CliRunner().invoke(cli, ["serve"])
    assert result.exit_code == 2
    assert "SVODKA_SECRET" in result.output
    assert "Traceback" not in result.output


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _postgres_processes(data_dir: Path) -> list[str]:
    out = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    return [line for line in out.splitlines() if "postgres" in line and str(data_dir) in line]


def _serve(data_dir: Path, port: int) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "SVODKA_", "TELEGRAM_"))}
    env["SVODKA_DATA_DIR"] = str(data_dir)
    return subprocess.Popen(
        [sys.executable, "-m", "infra", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _wait_healthy(port: int, proc: subprocess.Popen, seconds: float = 30) -> dict:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stdout.read()
        try:
            response = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
            if response.status_code == 200:
                return response.json()
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    pytest.fail("svodka serve did not answer /healthz in 30 s")


def _stop(proc: subprocess.Popen, signum: int = signal.SIGINT) -> str:
    proc.send_signal(signum)
    output, _ = proc.communicate(timeout=30)
    return output


@pytest.mark.slow
def test_serve_with_nothing_set_uses_embedded_postgres_and_stops_it(tmp_path):
    data_dir = tmp_path / "svodka"
    port = _free_port()
    proc = _serve(data_dir, port)
    try:
        assert _wait_healthy(port, proc) == {"status": "ok", "database": "ok"}
    finally:
        output = _stop(proc)
    assert proc.returncode == 0, output
    assert "Traceback" not in output
    assert not _postgres_processes(data_dir)
    first_version = (data_dir / "pgdata" / "PG_VERSION").read_text()
    secret = (data_dir / "secrets" / "svodka_secret").read_text()

    # A second start finds the same data directory and the same keys; SIGTERM stops it cleanly too.
    proc = _serve(data_dir, port)
    try:
        _wait_healthy(port, proc)
    finally:
        output = _stop(proc, signal.SIGTERM)
    assert proc.returncode == 0, output
    assert (data_dir / "pgdata" / "PG_VERSION").read_text() == first_version
    assert (data_dir / "secrets" / "svodka_secret").read_text() == secret
    assert not _postgres_processes(data_dir)
