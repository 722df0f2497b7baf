"""What a fault test owns: a PostgreSQL cluster, a redis-server, and svodka's own processes.

Every one of them is started by the test on free loopback ports, and only they are signalled:
the machine's shared PostgreSQL and Redis are never touched.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

PG_BIN = Path("/usr/lib/postgresql/15/bin")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(what: str, check, seconds: float = 90, process: subprocess.Popen | None = None,
              log: Path | None = None) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        if process is not None and process.poll() is not None:
            raise AssertionError(f"{what}: the process exited with {process.returncode}\n{_tail(log)}")
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {seconds:g} s\n{_tail(log)}")
        time.sleep(0.1)


def _tail(log: Path | None) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-30:]) if log and log.exists() else ""


def _as_postgres(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["runuser", "-u", "postgres", "--", *args], capture_output=True, text=True, check=True)


class PgTemplate:
    """One initdb per test process; each test copies it (cp is far cheaper than initdb)."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="svodka-faults-"))
        shutil.chown(self.root, "postgres", "postgres")
        self.data = self.root / "template"
        _as_postgres(str(PG_BIN / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres",
                     "--no-sync", "-E", "UTF8")

    def cluster(self, name: str) -> PgCluster:
        data = self.root / name
        subprocess.run(["cp", "-a", str(self.data), str(data)], check=True)
        return PgCluster(data)

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


class PgCluster:
    def __init__(self, data: Path) -> None:
        self.data = data
        self.port = free_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        self.log = data.parent / f"{data.name}.log"

    def start(self) -> None:
        options = (f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.data} -c fsync=off "
                   "-c full_page_writes=off -c max_connections=200")
        _as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60",
                     "-o", options, "start")

    def stop(self, mode: str = "fast") -> None:
        subprocess.run(["runuser", "-u", "postgres", "--", str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", mode,
                        "-w", "stop"], capture_output=True)

    def remove(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.data, ignore_errors=True)


class RedisServer:
    def __init__(self, directory: Path) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.directory = directory
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.directory)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for("redis-server", self._answers, 30, self.process)

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)  # a frozen server cannot act on SIGTERM
            self.process.terminate()
            self.process.wait(timeout=30)

    def freeze(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)


class Svodka:
    """The real CLI as an operator runs it: `svodka api`, `svodka project`, `svodka replay`."""

    def __init__(self, workdir: Path, env: dict[str, str]) -> None:
        self.workdir = workdir
        self.env = env
        self.processes: list[subprocess.Popen] = []
        self.api_port = free_port()
        self.url = f"http://127.0.0.1:{self.api_port}"
        self._logs = 0

    def start(self, *args: str) -> tuple[subprocess.Popen, Path]:
        self._logs += 1
        log = self.workdir / f"{args[0]}-{self._logs}.log"
        with log.open("w") as out:
            process = subprocess.Popen([sys.executable, "-m", "infra", *args], env=self.env, stdout=out,
                                       stderr=subprocess.STDOUT, start_new_session=True)
        self.processes.append(process)
        return process, log

    def start_api(self, workers: int = 1) -> tuple[subprocess.Popen, Path]:
        process, log = self.start("api", "--port", str(self.api_port), "--workers", str(workers))
        wait_for("svodka api /healthz", self._healthy, 120, process, log)
        return process, log

    def _healthy(self) -> bool:
        try:
            return httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def replay_verify(self) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "infra", "replay", "--verify"], env=self.env,
                              capture_output=True, text=True, timeout=180)

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)  # its own session: the workers go with it
                process.wait(timeout=30)
