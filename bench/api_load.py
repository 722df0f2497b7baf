"""Shared by the API benchmarks: the app in its own process(es), driven by wrk.

Server and load generator are separate processes, so the generator's CPU is not the server's
GIL; both benchmarks compare two endpoints or two configurations measured in the same run.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg

from infra.runner import MULTIPROCESS_DIR

OPERATOR = "bench-operator-token-0123456789"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def scratch_schema(url: str) -> Iterator[str]:
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield schema
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def application(url: str, schema: str, master_key: bytes):
    from infra.bootstrap import build_application
    from infra.database import Database
    from infra.keys import Keys
    from infra.keystore import PostgresKeyStore

    db = Database(url, schema)
    return build_application(Keys(secret=b"s" * 32, master_key=master_key), db, PostgresKeyStore(db))


def _serve(url: str, schema: str, master_key: bytes, port: int, overrides: dict, stack: str) -> None:
    import uvicorn

    from api.app import create_app
    from api.context import ApiConfig, Limit

    unlimited = Limit(10**9, 60)
    config = ApiConfig(database_url=url, schema=schema, application=application(url, schema, master_key),
                       operator_tokens={OPERATOR: "bench"}, intake_per_token=unlimited,
                       intake_per_address=unlimited, **overrides)
    app = create_app(config)

    @app.get("/bench/bare", include_in_schema=False)
    async def bare() -> dict[str, bool]:
        return {"ok": True}  # the baseline: a bare FastAPI endpoint returning a constant

    # "auto" is what `svodka api` runs: uvloop and httptools when installed, else asyncio and h11.
    loop, http = ("auto", "auto") if stack == "auto" else ("asyncio", "h11")
    # SO_REUSEPORT: several of these processes share the port, as `svodka api --workers N` does.
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(("127.0.0.1", port))
    config = uvicorn.Config(app, log_level="warning", access_log=False, loop=loop, http=http)
    uvicorn.Server(config).run(sockets=[sock])


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a process has used so far, from /proc: the server's cost per
    request, which a machine shared with other work leaves comparable where wall-clock rates are not."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Served:
    base: str
    pids: list[int]

    def cpu_seconds(self) -> float:
        return sum(cpu_seconds(pid) for pid in self.pids)


@contextmanager
def server(
    url: str, schema: str, master_key: bytes, stack: str = "auto", workers: int = 1, **overrides
) -> Iterator[Served]:
    port = free_port()
    with tempfile.TemporaryDirectory() as shared_metrics:
        if workers > 1:  # as `svodka api --workers N` does: /metrics sums the workers' files there
            os.environ[MULTIPROCESS_DIR] = shared_metrics
            overrides["metrics_dir"] = shared_metrics
        processes = [
            multiprocessing.get_context("spawn").Process(
                target=_serve, args=(url, schema, master_key, port, overrides, stack), daemon=True
            )
            for _ in range(workers)
        ]
        try:
            for process in processes:
                process.start()
        finally:
            os.environ.pop(MULTIPROCESS_DIR, None)
        yield from _running(processes, port, workers)


def _running(processes: list, port: int, workers: int) -> Iterator[Served]:
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline or not all(p.is_alive() for p in processes):
            raise RuntimeError("the benchmark server did not start")
        time.sleep(0.1)
    time.sleep(0.5 * (workers - 1))  # let every worker reach its accept loop
    try:
        yield Served(base, [p.pid for p in processes])
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.join(10)


@dataclass
class Run:
    requests: int
    seconds: float
    p99_ms: float
    errors: int  # connections refused, reset or timed out
    statuses: dict[int, int]
    ids: list[str]  # of every 201, for the intake benchmark's durability check

    @property
    def rate(self) -> float:
        return self.requests / self.seconds


LOAD_SCRIPT = Path(__file__).with_name("load.lua")


def load(base: str, mode: str, *, connections: int, seconds: float, **params: str) -> Run:
    """Drive the server with wrk (one thread, `connections` keep-alive connections) for `seconds`.

    wrk is a separate C process: a Python load generator spent more CPU per request than the
    server it measured, on the same two cores. `params` are bench/load.lua's settings
    (path, bust, phase, token, when), passed as LOAD_* environment variables.
    """
    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit("the API benchmarks drive the server with wrk: apt-get install wrk")
    with tempfile.TemporaryDirectory() as scratch:
        result = Path(scratch) / "run.json"
        env = {**os.environ, "LOAD_MODE": mode, "LOAD_RESULT": str(result), "LOAD_PHASE": "run",
               **{f"LOAD_{name.upper()}": value for name, value in params.items()}}
        subprocess.run([wrk, "-t1", f"-c{connections}", f"-d{seconds:g}s", "--timeout", "10s", "-s",
                        str(LOAD_SCRIPT), base], env=env, check=True, stdout=subprocess.DEVNULL)
        run = json.loads(result.read_text())
    return Run(run["requests"], run["seconds"], run["p99_ms"], run["errors"],
               {int(status): n for status, n in run["statuses"].items()}, run["ids"])


def database_url() -> str:
    """DATABASE_URL from svodka's settings: benchmarks need a real server, as CI has."""
    from infra.settings import load_settings

    configured = load_settings().database_url
    if configured is None:
        raise SystemExit("set DATABASE_URL, e.g. postgresql://postgres@127.0.0.1:5432/test")
    return configured.get_secret_value()
