"""Generate a benchmark dataset into a database migrated by the app's own migrations.

    .venv/bin/python -m bench.generate            # large: 100,000 entries, bench/data/large.sqlite3
    .venv/bin/python -m bench.generate --small    # 1,000 entries, bench/data/small.sqlite3
    .venv/bin/python -m bench.generate --postgres # the same into PostgreSQL (learnapp_bench_large)
    .venv/bin/python -m bench.generate --database-url postgresql+psycopg://…/name

The rows come from ``bench.dataset`` (deterministic for a seed and an anchor time; the anchor
defaults to the start of today, UTC). They are written with SQLAlchemy Core bulk inserts
(``executemany``) in foreign-key order, the search index is rebuilt with
``learnapp.search.index.rebuild``, and a manifest ``<dataset>.json`` beside the data says
what bench/run needs: who signs in, which incident and person to open, what to search.
A SQLite dataset is written to a temporary file and renamed when complete.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from typing import Any

from flask_migrate import upgrade
from sqlalchemy import Connection, create_engine, insert, make_url, text

from bench.dataset import LARGE, SMALL, Builder, Dataset, Size
from learnapp import create_app
from learnapp.extensions import db
from learnapp.markdown import MARKDOWN_MODELS, render_stored
from learnapp.search.index import rebuild
from learnapp.security import hash_password

VERSION = 4  # bump when the dataset changes shape: bench/run regenerates older ones
DATA_DIR = Path(__file__).resolve().parent / "data"
POSTGRES_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
BENCH_USER_ID = 25  # a member (not a lead, not an admin) of the first team
BENCH_PASSWORD = "bench-password-for-learnapp"  # noqa: S105  (a benchmark account)
SEARCH_WORD = "webhook"
BATCH = 5_000
ORDER = (
    "teams", "users", "memberships", "tags", "entries", "entry_tags", "contributing_factors",
    "improvements", "status_changes", "cheers", "incidents", "timeline_events",
    "incident_responders", "analyses", "review_steps", "incident_status_changes",
)  # fmt: skip


def default_url(size: Size, postgres: bool = False) -> str:
    """Where a dataset of ``size`` lives unless told otherwise."""
    if postgres:
        return (
            make_url(POSTGRES_SERVER)
            .set(database=f"learnapp_bench_{size.name}")
            .render_as_string(hide_password=False)
        )
    return f"sqlite:///{DATA_DIR / (size.name + '.sqlite3')}"


def manifest_path(url: str) -> Path:
    """The manifest of the dataset at ``url``: beside a SQLite file, else in bench/data."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return Path(parsed.database or "").with_suffix(".json")
    return DATA_DIR / f"{parsed.database}.json"


def start_of_today() -> datetime:
    return datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def _batches(rows: list[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    iterator = iter(rows)
    while chunk := list(islice(iterator, size)):
        yield chunk


def write_rows(connection: Connection, dataset: Dataset) -> None:
    """Insert every table's rows, parents first, ``BATCH`` rows per executemany; Markdown
    columns get their rendered HTML beside them, as the app's writes give them."""
    markdown = {model.__tablename__: fields for model, fields in MARKDOWN_MODELS.items()}
    for name in ORDER:
        table = db.metadata.tables[name]
        for chunk in _batches(dataset.tables.get(name, []), BATCH):
            for row in chunk:
                row.update({f"{f}_html": render_stored(row.get(f)) for f in markdown.get(name, ())})
            connection.execute(insert(table), chunk)
    if connection.dialect.name == "postgresql":
        # Ids were given explicitly: move each sequence past them, or the app's first
        # insert would collide with row 1.
        for name in ORDER:
            if "id" in db.metadata.tables[name].c:
                connection.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "  # noqa: S608
                        f"COALESCE(MAX(id), 1)) FROM {name}"
                    )
                )


def _fresh_database(url: str) -> str:
    """Make ``url`` name an empty database; returns the URL to build into."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        server = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with server.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)')
            connection.exec_driver_sql(f'CREATE DATABASE "{parsed.database}"')
        server.dispose()
        return url
    path = Path(parsed.database or "")
    path.parent.mkdir(parents=True, exist_ok=True)
    building = path.with_suffix(".building.sqlite3")
    for leftover in (building, *(Path(f"{building}{s}") for s in ("-wal", "-shm"))):
        leftover.unlink(missing_ok=True)
    return f"sqlite:///{building}"


def generate(size: Size, url: str, seed: int = 8, anchor: datetime | None = None) -> dict:
    """Build the dataset of ``size`` into the database at ``url`` and return its manifest."""
    anchor = anchor or start_of_today()
    started = time.perf_counter()
    target = _fresh_database(url)
    app = create_app({"DATABASE_URL": target, "SECRET_KEY": "bench-generate"})
    with app.app_context():
        upgrade()
        # One hash for 200 people: argon2id is slow on purpose.
        dataset = Builder(size, seed, anchor, hash_password(BENCH_PASSWORD)).build()
        built = time.perf_counter()
        with db.engine.connect() as connection:
            if connection.dialect.name == "sqlite":
                # A half-written dataset is thrown away, so durability buys nothing here
                # (set outside the transaction: SQLite refuses it inside one).
                connection.connection.driver_connection.execute("PRAGMA synchronous = OFF")
            with connection.begin():
                write_rows(connection, dataset)
                indexed = rebuild(connection)
            if connection.dialect.name == "sqlite":
                # Fold the write-ahead log into the file, so the file alone is the dataset.
                connection.connection.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        db.engine.dispose()
    if target != url:
        path = Path(make_url(url).database or "")
        for leftover in (Path(f"{path}-wal"), Path(f"{path}-shm")):
            leftover.unlink(missing_ok=True)
        Path(make_url(target).database or "").replace(path)
        for leftover in (Path(f"{make_url(target).database}{s}") for s in ("-wal", "-shm")):
            leftover.unlink(missing_ok=True)
    manifest = _manifest(size, seed, anchor, dataset, indexed)
    manifest["seconds"] = {
        "build": round(built - started, 1),
        "total": round(time.perf_counter() - started, 1),
    }
    path = manifest_path(url)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


def _manifest(size: Size, seed: int, anchor: datetime, dataset: Dataset, indexed: int) -> dict:
    entries = dataset.tables["entries"]
    by_author: dict[int, int] = {}
    for row in entries:
        if row["author_id"] != BENCH_USER_ID:
            by_author[row["author_id"]] = by_author.get(row["author_id"], 0) + 1
    user = dataset.tables["users"][BENCH_USER_ID - 1]
    return {
        "version": VERSION,
        "size": size.name,
        "seed": seed,
        "anchor": anchor.isoformat(),
        "rows": dataset.counts(),
        "search_documents": indexed,
        "user": {
            "email": user["email"],
            "password": BENCH_PASSWORD,
            "id": BENCH_USER_ID,
            "team_id": min(
                m["team_id"] for m in dataset.tables["memberships"] if m["user_id"] == BENCH_USER_ID
            ),
        },
        "incident_entry_id": dataset.facts["long_timeline_entry_id"],
        "incident_timeline_events": dataset.facts["long_timeline_events"],
        "person_id": max(by_author, key=lambda author: (by_author[author], -author)),
        "search_word": SEARCH_WORD,
        "search_word_entries": sum(
            SEARCH_WORD in (row["title"] + row["what_happened"]).lower() for row in entries
        ),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", action="store_true", help="1,000 entries instead of 100,000")
    parser.add_argument("--postgres", action="store_true", help="into the local PostgreSQL")
    parser.add_argument("--database-url", help="any SQLAlchemy URL (overrides --postgres)")
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--anchor", type=datetime.fromisoformat, help="'now' of the data (UTC)")
    args = parser.parse_args(argv)
    size = SMALL if args.small else LARGE
    url = args.database_url or default_url(size, args.postgres)
    anchor = args.anchor.replace(tzinfo=args.anchor.tzinfo or UTC) if args.anchor else None
    manifest = generate(size, url, args.seed, anchor)
    rows = sum(manifest["rows"].values())
    print(
        f"{size.name}: {rows:,} rows, {manifest['search_documents']:,} search documents "
        f"in {manifest['seconds']['total']} s -> {make_url(url).render_as_string()}"
    )


if __name__ == "__main__":
    main()
