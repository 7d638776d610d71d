"""A real gunicorn serving learnapp from a subprocess, with workers that can be killed."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.runner import stop_server
from learnapp.config import PROJECT_ROOT

START_TIMEOUT_S = 20


@dataclass
class Gunicorn:
    """A running gunicorn: its address, its master process and its log file."""

    base_url: str
    process: subprocess.Popen[bytes]
    log: Path

    def workers(self) -> list[int]:
        """The process ids of the master's workers right now."""
        children = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue  # the process ended while we looked
            if int(fields[1]) == self.process.pid:
                children.append(int(stat.parent.name))
        return sorted(children)

    def kill_a_worker(self) -> int:
        """SIGKILL one worker (as the OOM killer would); returns its pid."""
        victim = self.workers()[0]
        os.kill(victim, signal.SIGKILL)
        return victim

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def run_gunicorn(database_url: str, folder: Path, workers: int = 4) -> Iterator[Gunicorn]:
    """``gunicorn -w <workers> -b 127.0.0.1:<free port> app:app`` on ``database_url``.

    It runs from the project folder, so gunicorn.conf.py applies as in production (sync
    workers, logs to stdout); the command line's workers and address override it.
    """
    port = free_port()
    log = folder / "gunicorn.log"
    env = {
        **os.environ,
        "LEARNAPP_DATABASE_URL": database_url,
        "LEARNAPP_INSTANCE_PATH": str(folder / "instance"),
        "LEARNAPP_SECRET_KEY": "load-test-secret",
        "XDG_RUNTIME_DIR": str(folder),  # gunicorn's control socket: this server's own
    }
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    with log.open("wb") as output:
        process = subprocess.Popen(
            [gunicorn, "-w", str(workers), "-b", f"127.0.0.1:{port}", "app:app"],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    server = Gunicorn(f"http://127.0.0.1:{port}", process, log)
    try:
        _wait_until_serving(server, workers)
        yield server
    finally:
        stop_server(process)


def _wait_until_serving(server: Gunicorn, workers: int) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        try:
            ready = httpx.get(server.base_url + "/healthz", timeout=2).status_code == 200
        except httpx.TransportError:
            ready = False
        if ready and len(server.workers()) == workers:
            return
        if server.process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("gunicorn did not start:\n" + server.log_tail())
        time.sleep(0.1)
