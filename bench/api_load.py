"""Shared by the API benchmarks: the app in its own process, and an async load generator.

The server runs in a separate process so the load generator's CPU is not the server's GIL;
both benchmarks compare two endpoints or two configurations measured in the same run.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import socket
import statistics
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import httpx
import psycopg

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
    processes = [
        multiprocessing.get_context("spawn").Process(
            target=_serve, args=(url, schema, master_key, port, overrides, stack), daemon=True
        )
        for _ in range(workers)
    ]
    for process in processes:
        process.start()
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
    latencies: list[float]
    statuses: dict[int, int]

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    @property
    def p99_ms(self) -> float:
        return statistics.quantiles(self.latencies, n=100)[98] * 1000 if len(self.latencies) > 100 else float("nan")


async def _load(make: Callable[[int], tuple[str, str, dict, bytes | None]], connections: int, seconds: float,
                on_answer: Callable[[int, bytes], None] | None) -> Run:
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    stop = time.perf_counter() + seconds
    counter = iter(range(10**12))

    async def client(session: aiohttp.ClientSession) -> None:
        while time.perf_counter() < stop:
            method, url, headers, body = make(next(counter))
            started = time.perf_counter()
            async with session.request(method, url, headers=headers, data=body) as answer:
                payload = await answer.read()
            latencies.append(time.perf_counter() - started)
            statuses[answer.status] = statuses.get(answer.status, 0) + 1
            if on_answer is not None:
                on_answer(answer.status, payload)

    connector = aiohttp.TCPConnector(limit=connections)
    async with aiohttp.ClientSession(connector=connector) as session:
        began = time.perf_counter()
        await asyncio.gather(*(client(session) for _ in range(connections)))
        elapsed = time.perf_counter() - began
    return Run(len(latencies), elapsed, latencies, statuses)


def load(make, *, connections: int, seconds: float, on_answer=None) -> Run:
    return asyncio.run(_load(make, connections, seconds, on_answer))


def database_url() -> str:
    """DATABASE_URL from svodka's settings: benchmarks need a real server, as CI has."""
    from infra.settings import load_settings

    configured = load_settings().database_url
    if configured is None:
        raise SystemExit("set DATABASE_URL, e.g. postgresql://postgres@127.0.0.1:5432/test")
    return configured.get_secret_value()
