"""bench/run: learnapp under load, measured against the same server's ceiling (/healthz).

It measures each dataset in-process first (``bench.measure``: SQL statements per page,
the home page's compressed transfer, the digest's time), then serves a copy of each with
its own gunicorn (``gunicorn.conf.py``, 2 workers), signs in through the login form and
warms every route up. Then, route by route, wrk at 16 connections drives the route on the
large set, then on the small set, between two runs of ``GET /healthz``; each ratio divides
by the mean of those two ceilings, so a machine that gets busier or quieter during the
run moves both sides alike. All routes are gone over three times and each figure is the
median of its rounds. It writes ``bench/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, make_url

from bench import report
from bench.dataset import LARGE, SMALL, Size
from bench.generate import VERSION, default_url, generate, manifest_path
from bench.measure import BROWSER_ENCODINGS, CSRF_FIELD, CSRF_HEADER, measure, routes

ROOT = Path(__file__).resolve().parent.parent
LUA = Path(__file__).resolve().parent / "wrk" / "request.lua"
RUNS = Path(__file__).resolve().parent / "runs"
# gunicorn's default access log line, led by the worker's pid (to see who served what) and
# followed by the time taken in microseconds and the page cache's verdict (hit or miss).
ACCESS_FORMAT = (
    '%(p)s %(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(D)s %({x-page-cache}o)s'
)
# What the quick entry form sends besides its title and key (its other fields' defaults).
QUICK_ENTRY_FORM = "kind=lesson&visibility=org&team={team}&track_change=y"
# The routes driven under load (every one the report names except the ceiling).
ROUTE_LABELS = [label for label in report.LABELS if label != "healthz"]


@dataclass
class Result:
    """One wrk run of one route."""

    label: str
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int
    raw: dict[str, Any] = field(default_factory=dict)
    busiest: float = 0.0  # share of the requests the busiest worker served


@dataclass
class Session:
    cookie: str
    token: str
    team: int


def dataset(size: Size, postgres: bool, regenerate: bool) -> tuple[str, dict]:
    """The URL and manifest of the generated dataset of ``size``, generating it if needed."""
    url = default_url(size, postgres)
    path = manifest_path(url)
    manifest = json.loads(path.read_text()) if path.exists() else {}
    stale = manifest.get("version") != VERSION
    if make_url(url).get_backend_name() == "sqlite":
        stale = stale or not Path(make_url(url).database or "").exists()
    if regenerate or stale:
        print(f"generating the {size.name} dataset …", flush=True)
        manifest = generate(size, url)
    return url, manifest


def working_copy(url: str, folder: Path, name: str) -> str:
    """A copy of the dataset at ``url`` to serve and write to (the dataset stays as made)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        target = folder / f"{name}.sqlite3"
        with sqlite3.connect(parsed.database) as source, sqlite3.connect(target) as copy:
            source.backup(copy)
        return f"sqlite:///{target}"
    copy_name = f"{parsed.database}_run"
    server = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{copy_name}" WITH (FORCE)')
        connection.exec_driver_sql(f'CREATE DATABASE "{copy_name}" TEMPLATE "{parsed.database}"')
    server.dispose()
    return parsed.set(database=copy_name).render_as_string(hide_password=False)


def start_server(url: str, port: int, workers: int, folder: Path, name: str) -> subprocess.Popen:
    """gunicorn with the production settings (gunicorn.conf.py) on the dataset at ``url``."""
    env = {
        **os.environ,
        "LEARNAPP_DATABASE_URL": url,
        "LEARNAPP_SECRET_KEY": secrets.token_hex(32),
        "LEARNAPP_INSTANCE_PATH": str(folder / "instance"),
        "LEARNAPP_WORKERS": str(workers),
        "LEARNAPP_BIND": f"127.0.0.1:{port}",
    }
    log = (folder / f"gunicorn-{name}.log").open("w")
    server = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "--config",
            "gunicorn.conf.py",
            "--access-logfile",
            str(folder / f"access-{name}.log"),
            "--access-logformat",
            ACCESS_FORMAT,
            "app:app",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                return server
        except OSError:
            time.sleep(0.2)
    stop_server(server)
    raise RuntimeError(f"gunicorn did not answer on port {port}; see {log.name}")


def stop_server(server: subprocess.Popen, timeout: float = 30) -> None:
    """Stop gunicorn as a service manager would: SIGTERM, then SIGKILL after ``timeout``."""
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def sign_in(base: str, manifest: dict) -> Session:
    """Sign in once, like a browser: the login page, then its form with its CSRF token."""
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{base}/login").read().decode()
    token = CSRF_FIELD.search(page)
    if token is None:
        raise RuntimeError("no CSRF token on the login page")
    user = manifest["user"]
    form = {"email": user["email"], "password": user["password"], "csrf_token": token[1]}
    home = opener.open(f"{base}/login", urllib.parse.urlencode(form).encode()).read().decode()
    header = CSRF_HEADER.search(home)
    cookie = "; ".join(f"{c.name}={c.value}" for c in jar if c.name == "session")
    if header is None or not cookie:
        raise RuntimeError("signing in failed: no session")
    # The quick entry form preselects the author's first team, as a browser would send it.
    return Session(cookie, header[1], user["team_id"])


def wrk(url: str, session: Session, seconds: int, connections: int, post: bool = False) -> dict:
    """One wrk run; returns what the Lua script's ``done`` printed."""
    env = {
        **os.environ,
        "BENCH_COOKIE": session.cookie,
        "BENCH_CSRF": session.token,
        "BENCH_ACCEPT_ENCODING": BROWSER_ENCODINGS,
        "BENCH_METHOD": "POST" if post else "GET",
        "BENCH_FORM": QUICK_ENTRY_FORM.format(team=session.team),
        "BENCH_RUN": secrets.token_hex(4),
    }
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(LUA)]
    done = subprocess.run(
        [*command, url], env=env, capture_output=True, text=True, check=True, timeout=seconds + 60
    )
    line = next(x for x in done.stdout.splitlines() if x.startswith("BENCH_RESULT "))
    return json.loads(line.removeprefix("BENCH_RESULT "))


def as_result(label: str, raw: dict) -> Result:
    errors = sum(raw[k] for k in ("connect", "read", "write", "status", "timeout"))
    return Result(
        label,
        rps=raw["requests"] / (raw["duration_us"] / 1e6),
        p50_ms=raw["p50_us"] / 1000,
        p99_ms=raw["p99_us"] / 1000,
        requests=raw["requests"],
        errors=errors,
        raw=raw,
    )


def check_quick_entry(base: str, session: Session) -> None:
    """One quick entry as wrk will send it, so a refused form stops the run at once."""
    key = "bench-check-" + secrets.token_hex(4)
    body = f"title=Benchmark+check&idempotency_key={key}&" + QUICK_ENTRY_FORM.format(
        team=session.team
    )
    request = urllib.request.Request(  # noqa: S310
        f"{base}/entries",
        data=body.encode(),
        headers={"Cookie": session.cookie, "X-CSRFToken": session.token, "HX-Request": "true"},
    )
    with urllib.request.urlopen(request) as answer:  # noqa: S310
        if answer.status != 200 or answer.headers.get("HX-Trigger") != "entry-created":
            raise RuntimeError(f"the quick entry was refused: {answer.status}")


@dataclass
class Served:
    """One dataset behind its own gunicorn, signed in."""

    name: str
    manifest: dict
    inprocess: dict
    base: str
    log: Path
    session: Session | None = None
    server: subprocess.Popen | None = None

    def served_by(self, since: int) -> tuple[int, float]:
        """Lines in the access log, and the busiest worker's share of those after ``since``."""
        lines = self.log.read_text().splitlines()
        workers = Counter(line.split(" ", 1)[0] for line in lines[since:])
        total = sum(workers.values())
        return len(lines), max(workers.values()) / total if total else 0.0

    def targets(self) -> dict[str, tuple[str, bool]]:
        """Route label -> (URL, whether it is the POST)."""
        found = {label: (f"{self.base}{path}", False) for label, path in routes(self.manifest)}
        found.pop("healthz")
        return {**found, "quick_entry": (f"{self.base}/entries", True)}


def prepare(size: Size, args: argparse.Namespace, folder: Path, port: int) -> Served:
    """The dataset of ``size`` measured in-process, then served by gunicorn and signed in."""
    url, manifest = dataset(size, args.postgres, args.regenerate)
    print(f"{size.name}: measuring in-process (queries, transfer, digest) …", flush=True)
    inprocess = measure(working_copy(url, folder, f"{size.name}-measure"), manifest)
    log = folder / f"access-{size.name}.log"
    served = Served(size.name, manifest, inprocess, f"http://127.0.0.1:{port}", log)
    copy = working_copy(url, folder, size.name)
    served.server = start_server(copy, port, args.workers, folder, size.name)
    served.session = sign_in(served.base, manifest)
    check_quick_entry(served.base, served.session)
    return served


def measure_load(datasets: list[Served], args: argparse.Namespace) -> dict[str, Any]:
    """Warm every route up, then, ``args.rounds`` times over, for each route: the route on
    each dataset between two runs of the ceiling (each run's ceiling is the mean of the
    ones just before and just after it). Returns every round's figures."""

    def load(served: Served, url: str, post: bool, seconds: int) -> Result:
        assert served.session is not None
        since, _ = served.served_by(0)
        result = as_result("", wrk(url, served.session, seconds, args.connections, post))
        _, result.busiest = served.served_by(since)
        return result

    def warm(served: Served, url: str, post: bool, seconds: int) -> None:
        assert served.session is not None
        if seconds > 0:
            wrk(url, served.session, seconds, args.connections, post)

    first = datasets[0]
    ceiling_url = f"{first.base}/healthz"
    chosen = [label for label in first.targets() if not args.routes or label in args.routes]
    for served in datasets:
        for label in chosen:
            url, post = served.targets()[label]
            print(f"  warming up {label} ({served.name})", flush=True)
            warm(served, url, post, args.warmup)
    ceilings = [load(first, ceiling_url, False, args.ceiling)]
    rows: dict[str, list[dict[str, Any]]] = {label: [] for label in chosen}
    for round_number in range(1, args.rounds + 1):
        print(f"round {round_number} of {args.rounds}", flush=True)
        for label, rounds in rows.items():
            row: dict[str, Any] = {"before": ceilings[-1]}
            for served in datasets:
                url, post = served.targets()[label]
                # A round lasts longer than a page is kept (a minute): without this, each
                # run would open on pages every worker must render again at once.
                warm(served, url, post, args.rewarm)
                row[served.name] = result = load(served, url, post, args.duration)
                print(f"  {label:13} {served.name:5} {result.rps:8.1f} req/s  p50 "
                      f"{result.p50_ms:6.1f} ms  p99 {result.p99_ms:6.1f} ms  "
                      f"errors {result.errors}", flush=True)  # fmt: skip
            ceilings.append(load(first, ceiling_url, False, args.ceiling))
            row["after"] = ceilings[-1]
            print(f"  ceiling {ceilings[-1].rps:8.1f} req/s", flush=True)
            rounds.append(row)
    return {"ceilings": ceilings, "routes": rows}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", action="store_true", help="serve PostgreSQL datasets")
    parser.add_argument("--rounds", type=int, default=3, help="times over every route")
    parser.add_argument("--duration", type=int, default=5, help="seconds per route and round")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of warm-up per route")
    parser.add_argument(
        "--rewarm", type=int, default=1, help="seconds of the same load before each run"
    )
    parser.add_argument("--ceiling", type=int, default=3, help="seconds of each /healthz run")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=8790, help="the large set's; small: +1")
    parser.add_argument("--regenerate", action="store_true", help="make the datasets again")
    parser.add_argument("--skip-small", action="store_true", help="the large dataset only")
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "RESULTS.md")
    parser.add_argument(
        "--routes",
        type=lambda text: set(text.split(",")),
        default=set(),
        help=f"only these routes, comma-separated: {','.join(ROUTE_LABELS)} (default: all)",
    )
    args = parser.parse_args(argv)
    if args.routes - set(ROUTE_LABELS):
        parser.error(f"unknown routes: {', '.join(sorted(args.routes - set(ROUTE_LABELS)))}")
    if shutil.which("wrk") is None:
        sys.exit("bench/run needs wrk: apt-get install -y wrk (after apt-get update)")
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    folder = RUNS / stamp
    folder.mkdir(parents=True)
    sizes = [LARGE] if args.skip_small else [LARGE, SMALL]
    datasets: list[Served] = []
    try:
        for offset, size in enumerate(sizes):
            datasets.append(prepare(size, args, folder, args.port + offset))
        print(f"gunicorn with {args.workers} workers per dataset, wrk at {args.connections} "
              f"connections, {args.duration} s per route", flush=True)  # fmt: skip
        started = os.getloadavg()
        measured = measure_load(datasets, args)
        measured["load"] = (started, os.getloadavg())
    finally:
        for served in datasets:
            if served.server is not None:
                stop_server(served.server)
    measured["datasets"] = {s.name: {"manifest": s.manifest, "inprocess": s.inprocess}
                            for s in datasets}  # fmt: skip
    command = "bench/run " + " ".join(argv if argv is not None else sys.argv[1:])
    text = report.markdown(measured, args, command.strip(), platform.uname())
    args.output.write_text(text)
    (folder / "RESULTS.md").write_text(text)
    print(f"wrote {args.output} (run files in {folder})")


if __name__ == "__main__":
    main()
