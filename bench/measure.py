"""In-process measurements: SQL statements per page, the home page's transfer, the digest.

    .venv/bin/python -m bench.measure bench/data/large.sqlite3   # prints JSON

These run the app with Flask's test client on a dataset (no server): every statement the
engine sends while a page is answered is counted by a ``before_cursor_execute`` listener.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, select
from sqlalchemy.orm import selectinload

from bench.generate import manifest_path
from learnapp import create_app
from learnapp.extensions import db

CSRF_FIELD = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
CSRF_HEADER = re.compile(r'"X-CSRFToken": "([^"]+)"')
ASSET = re.compile(r'<(?:link rel="stylesheet" href|script src)="([^"]+)"')
BROWSER_ENCODINGS = "gzip, deflate, br, zstd"  # what Chromium sends


def routes(manifest: dict) -> list[tuple[str, str]]:
    """(label, path) of every GET route the benchmark drives, in table order."""
    return [
        ("healthz", "/healthz"),
        ("feed", "/"),
        ("entry", f"/entries/{manifest['incident_entry_id']}"),
        ("improvements", "/improvements"),
        ("celebrate", "/celebrate"),
        ("history", f"/people/{manifest['person_id']}"),
        ("search", f"/search?q={manifest['search_word']}"),
        ("narratives", "/narratives.atom"),
    ]


def bench_app(url: str, **overrides: Any) -> Flask:
    """The app on the dataset at ``url``, configured as in production (limits, CSRF on)."""
    return create_app({"DATABASE_URL": url, "SECRET_KEY": "bench-measure", **overrides})


def sign_in(client: FlaskClient, manifest: dict) -> str:
    """Sign in through the login form like a browser; returns the page's CSRF token."""
    page = client.get("/login").get_data(as_text=True)
    token = CSRF_FIELD.search(page)
    if token is None:
        raise RuntimeError("no CSRF token on the login page")
    user = manifest["user"]
    answer = client.post(
        "/login",
        data={"email": user["email"], "password": user["password"], "csrf_token": token[1]},
    )
    if answer.status_code != 303:
        raise RuntimeError(f"sign-in failed: {answer.status_code}")
    home = client.get("/").get_data(as_text=True)
    header = CSRF_HEADER.search(home)
    if header is None:
        raise RuntimeError("no CSRF token on the home page")
    return header[1]


@contextmanager
def counted_sql(app: Flask) -> Iterator[list[str]]:
    """Collect every statement the app's engine sends while the block runs."""
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def quick_entry(token: str, number: int) -> tuple[dict[str, str], dict[str, str]]:
    """(form, headers) of an htmx quick entry, as the home page's form sends it."""
    form = {"title": f"Benchmark quick entry {number}", "idempotency_key": f"measure-{number}"}
    headers = {"X-CSRFToken": token, "HX-Request": "true", "HX-Current-URL": "/"}
    return form, headers


def query_counts(
    app: Flask, client: FlaskClient, manifest: dict, token: str, cached: tuple[Flask, FlaskClient]
) -> dict[str, Any]:
    """Statements per route: rendering it (``app`` has the page cache off; the second
    request of each, the steady state), and answering it from the page cache (``cached``)."""
    cached_app, cached_client = cached
    counts: dict[str, Any] = {}
    for label, path in routes(manifest):
        client.get(path)
        with counted_sql(app) as statements:
            status = client.get(path).status_code
        cached_client.get(path)
        with counted_sql(cached_app) as hit:
            cached_client.get(path)
        counts[label] = {"queries": len(statements), "cached": len(hit), "status": status}
    form, headers = quick_entry(token, 1)
    client.post("/entries", data=form, headers=headers)
    form, headers = quick_entry(token, 2)
    with counted_sql(app) as statements:
        status = client.post("/entries", data=form, headers=headers).status_code
    counts["quick_entry"] = {"queries": len(statements), "cached": None, "status": status}
    return counts


def home_transfer(client: FlaskClient) -> dict[str, Any]:
    """Bytes on the wire for the home page: its HTML and every stylesheet and script it
    links, each as a browser asking for compression receives it."""
    headers = {"Accept-Encoding": BROWSER_ENCODINGS}
    parts = {}
    html = client.get("/").get_data(as_text=True)
    for path in ["/", *ASSET.findall(html)]:
        answer = client.get(path, headers=headers)
        parts[path] = {
            "bytes": len(answer.get_data()),
            "encoding": answer.headers.get("Content-Encoding", "identity"),
            "cache_control": answer.headers.get("Cache-Control", ""),
        }
        answer.close()
    return {"bytes": sum(part["bytes"] for part in parts.values()), "parts": parts}


def digest_seconds(app: Flask, manifest: dict) -> dict[str, Any]:
    """Seconds to compose the digest of the week before the data's anchor for everyone, in
    one run as the weekly send does."""
    from learnapp.digest.run import DigestRun
    from learnapp.digest.weeks import IsoWeek, org_zone
    from learnapp.models import User

    with app.app_context():
        zone = org_zone()
        week = IsoWeek.containing(datetime.fromisoformat(manifest["anchor"]) - timedelta(7), zone)
        started = time.perf_counter()
        people = db.session.scalars(
            select(User).order_by(User.id).options(selectinload(User.memberships))
        ).all()
        run = DigestRun(week, zone)  # as `flask digest send` composes: one run for all
        with_content = sum(run.compose(p).has_content for p in people)
        took = time.perf_counter() - started
        db.session.remove()
    return {"week": str(week), "people": len(people), "with_content": with_content, "seconds": took}


def measure(url: str, manifest: dict) -> dict[str, Any]:
    """Every in-process figure for the dataset at ``url`` (it gains two quick entries)."""
    app = bench_app(url, PAGE_CACHE_SECONDS=0)
    client = app.test_client()
    token = sign_in(client, manifest)
    cached_app = bench_app(url)
    cached_client = cached_app.test_client()
    sign_in(cached_client, manifest)
    return {
        "queries": query_counts(app, client, manifest, token, (cached_app, cached_client)),
        "transfer": home_transfer(client),
        "digest": digest_seconds(app, manifest),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dataset", type=Path, help="a SQLite dataset file from bench.generate")
    args = parser.parse_args()
    manifest = json.loads(manifest_path(f"sqlite:///{args.dataset.resolve()}").read_text())
    with tempfile.TemporaryDirectory() as folder:
        # A copy: measuring writes two quick entries, and the dataset stays as generated.
        copy = Path(folder) / "measured.sqlite3"
        shutil.copyfile(args.dataset, copy)
        print(json.dumps(measure(f"sqlite:///{copy}", manifest), indent=2))


if __name__ == "__main__":
    main()
