"""Production serving: gunicorn with gunicorn.conf.py, and proxy headers only when trusted."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import request

from bench.runner import stop_server
from learnapp.config import PROJECT_ROOT
from learnapp.extensions import db
from tests.conftest import make_app

START_TIMEOUT_S = 10


def _remote_addr_app(database_url: str, proxies: int):
    app = make_app(database_url, PROXY_COUNT=proxies)
    app.add_url_rule("/_whoami", "whoami", lambda: f"{request.remote_addr} {request.scheme}")
    return app


def _ask_whoami(app) -> str:
    response = app.test_client().get(
        "/_whoami",
        headers={"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"},
        environ_base={"REMOTE_ADDR": "10.0.0.2"},
    )
    with app.app_context():
        db.engine.dispose()
    return response.text


def test_forwarded_headers_are_ignored_without_a_trusted_proxy(database_url):
    assert _ask_whoami(_remote_addr_app(database_url, 0)) == "10.0.0.2 http"


def test_forwarded_headers_are_believed_with_one_trusted_proxy(database_url):
    assert _ask_whoami(_remote_addr_app(database_url, 1)) == "203.0.113.7 https"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _get(url: str) -> int:
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310  (http on localhost)
        return response.status


@pytest.fixture
def gunicorn_server(tmp_path: Path, migrated_template: Path) -> Iterator[tuple[str, Path]]:
    """gunicorn with the repository's config and 2 workers, on a migrated SQLite file."""
    database = tmp_path / "served.sqlite3"
    shutil.copyfile(migrated_template, database)
    base_url = f"http://127.0.0.1:{_free_port()}"
    log = tmp_path / "gunicorn.log"
    env = {
        **os.environ,
        "LEARNAPP_BIND": base_url.removeprefix("http://"),
        "LEARNAPP_WORKERS": "2",
        "LEARNAPP_DATABASE_URL": f"sqlite:///{database}",
        "LEARNAPP_SECRET_KEY": "serving-test-secret",
        "LEARNAPP_INSTANCE_PATH": str(tmp_path / "instance"),
        # gunicorn's control socket defaults to one per user; keep this one to itself.
        "XDG_RUNTIME_DIR": str(tmp_path),
    }
    with log.open("w") as output:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py", "app:app"],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            try:
                if _get(base_url + "/healthz") == 200:
                    break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail("gunicorn did not start:\n" + log.read_text(), pytrace=False)
            time.sleep(0.1)
        yield base_url, log
    finally:
        stop_server(server, timeout=10)


def test_gunicorn_serves_the_app_with_the_repository_config(gunicorn_server):
    base_url, log = gunicorn_server
    assert _get(base_url + "/healthz") == 200
    assert _get(base_url + "/login") == 200
    deadline = time.monotonic() + 2  # the access line is written just after the response
    while "GET /login" not in log.read_text() and time.monotonic() < deadline:
        time.sleep(0.05)
    output = log.read_text()
    assert output.count("Booting worker") == 2, output
    assert '"GET /login HTTP/1.1" 200' in output, "the access log goes to stdout"


def test_a_worker_checkpoints_its_app_and_freezes_what_loading_it_made(monkeypatch):
    import gc
    import runpy
    from types import SimpleNamespace

    import learnapp.checkpoint

    started = []
    monkeypatch.setattr(learnapp.checkpoint, "start_checkpointer", started.append)
    worker = SimpleNamespace(wsgi=object())
    settings = runpy.run_path(str(PROJECT_ROOT / "gunicorn.conf.py"))
    before = gc.get_freeze_count()
    try:
        settings["post_worker_init"](worker)
        assert gc.get_freeze_count() > before
    finally:
        gc.unfreeze()
    assert started == [worker.wsgi], "the worker's app gets its checkpoint thread"


@pytest.mark.parametrize(
    ("setting", "worker_class", "threads"), [(None, "sync", 1), ("3", "gthread", 3)]
)
def test_a_worker_answers_with_one_request_thread_unless_told(
    monkeypatch, setting, worker_class, threads
):
    import runpy

    from bench.report import served_workers

    if setting is None:
        monkeypatch.delenv("LEARNAPP_THREADS", raising=False)
    else:
        monkeypatch.setenv("LEARNAPP_THREADS", setting)
    settings = runpy.run_path(str(PROJECT_ROOT / "gunicorn.conf.py"))
    assert (settings["worker_class"], settings["threads"]) == (worker_class, threads)
    assert served_workers() == f"{worker_class}, {threads} request thread(s) each"


def test_a_busy_worker_leaves_new_connections_to_a_free_one(gunicorn_server):
    """A worker takes a connection only when it can answer it: while one worker waits on a
    client that has not sent its request yet, every new connection goes to the other."""
    base_url, _ = gunicorn_server
    host, port = base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port))) as silent:
        time.sleep(0.2)  # let a worker take it
        for _ in range(10):
            # A threaded worker would take about half of these and keep them waiting behind
            # the silent one for seconds.
            with urllib.request.urlopen(base_url + "/healthz", timeout=2) as response:  # noqa: S310
                assert response.status == 200
                assert response.headers["Connection"] == "close"
        silent.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        assert silent.recv(100).startswith(b"HTTP/1.1 200")
