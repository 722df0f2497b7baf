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
from tests.hang import HANG


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


def _wait_healthy(port: int, proc: subprocess.Popen, seconds: float = HANG) -> dict:
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
    pytest.fail(f"svodka serve did not answer /healthz in {seconds} s")


def _stop(proc: subprocess.Popen, signum: int = signal.SIGINT) -> str:
    proc.send_signal(signum)
    output, _ = proc.communicate(timeout=HANG)
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


def _svodka(*args: str, **env: str) -> subprocess.CompletedProcess:
    """The real CLI, with only the variables given (and a working DATABASE_URL unless overridden)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "SVODKA_", "TELEGRAM_"))}
    clean["DATABASE_URL"] = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
    # The timeout only stops a hang from stalling the suite; the fix makes these fail in seconds.
    return subprocess.run([sys.executable, "-m", "infra", *args], env={**clean, **env}, capture_output=True,
                          text=True, timeout=60)


def _one_line(result: subprocess.CompletedProcess) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("svodka: "), result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    return lines[0]


@pytest.mark.parametrize(("args", "env", "status", "cause"), [
    (("api",), {"SVODKA_ENV": "prod"}, 2, "SVODKA_ENV: Input should be"),
    (("api",), {"SVODKA_OPERATOR_TOKENS": "hotline-without-a-token"}, 2, "SVODKA_OPERATOR_TOKENS: each entry"),
    (("api",), {"SVODKA_TRUSTED_PROXIES": "proxy.local"}, 2, "SVODKA_TRUSTED_PROXIES"),
    (("project",), {"DATABASE_URL": "postgresql://postgres@127.0.0.1:5432/no_such_database"}, 4,
     'database "no_such_database" does not exist'),
    (("replay", "--verify"), {"DATABASE_URL": "postgresql://postgres:pw-not-shown@127.0.0.1:1/test"}, 4,
     "Connection refused"),
    (("api",), {"DATABASE_URL": "not a url"}, 2, "DATABASE_URL is not a valid PostgreSQL URL"),
    (("audit", "verify", "/nonexistent/export.jsonl"), {}, 2, "no such file: /nonexistent/export.jsonl"),
])
def test_each_failure_is_one_line_naming_its_cause_with_its_documented_status(args, env, status, cause):
    result = _svodka(*args, **env)
    assert result.returncode == status, result.stderr
    line = _one_line(result)
    assert cause in line
    assert "pw-not-shown" not in line


def test_audit_verify_refuses_a_bad_key_or_unreadable_files_in_one_line(tmp_path):
    export = tmp_path / "export.jsonl"
    export.write_text("")
    assert "--key must be" in _one_line(_svodka("audit", "verify", str(export), "--key", "not-base64!"))
    assert "--key must be" in _one_line(_svodka("audit", "verify", str(export), "--key", "c2hvcnQ="))
    export.write_bytes(b"\xff\xfe")
    assert "UTF-8" in _one_line(_svodka("audit", "verify", str(export)))
    heads = tmp_path / "heads.json"
    heads.write_text("{broken")
    export.write_text("")
    assert "--heads" in _one_line(_svodka("audit", "verify", str(export), "--heads", str(heads)))


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_port_in_use_is_status_5_not_3(workers):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        result = _svodka("api", "--port", port, "--workers", workers)
    assert result.returncode == 5, result.stderr
    assert f"cannot listen on 127.0.0.1:{port}: Address already in use" in _one_line(result)


def test_help_documents_the_exit_statuses():
    result = CliRunner().invoke(cli, ["--help"])
    for status in ("0 success", "1 a verification", "2 configuration", "3 that part", "4 the database", "5 the address"):
        assert status in " ".join(result.output.split())
