"""Engine behaviour that keeps writes safe: SQLite pragmas and IMMEDIATE write transactions.

Python's sqlite3 driver starts transactions lazily with a plain ``BEGIN``; two requests that
read then write can then both succeed while one update is lost, or fail late with "database
is locked". We turn the driver's own transaction handling off and issue ``BEGIN IMMEDIATE``
ourselves for anything that may write, so writers queue on the lock (up to the busy timeout)
before they read. Safe (read-only) requests keep a deferred ``BEGIN`` so readers never wait.

A SQLite file that cannot be used (its folder cannot be made, it is a folder, it is not a
database) stops the app while it is built, naming the file, instead of failing every request.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Any

from flask import Flask, g, has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import URL, Engine

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def is_sqlite(engine: Engine) -> bool:
    """Whether ``engine`` talks to SQLite."""
    return engine.dialect.name == "sqlite"


class DatabaseUnusable(RuntimeError):
    """The configured database cannot be used at all (raised while the app is built)."""


def check_sqlite_file(url: URL) -> None:
    """Raise DatabaseUnusable, naming the file, when the SQLite database of ``url`` cannot
    be opened for writing; a missing file (and its folder) is created, as SQLite would."""
    name = url.database or ""
    if name in ("", ":memory:") or name.startswith("file:"):
        return  # in memory, or a URI whose options SQLite itself interprets
    path = Path(name).absolute()
    problem = _sqlite_file_problem(path)
    if problem:
        raise DatabaseUnusable(
            f"learnapp cannot use the SQLite database {path}: {problem}. "
            "Point LEARNAPP_DATABASE_URL (or LEARNAPP_INSTANCE_PATH) at a place it can write."
        )


def _sqlite_file_problem(path: Path) -> str:
    folder = path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        return f"its folder {folder} cannot be created ({error.strerror})"
    if path.is_dir():
        return "that is a folder, not a database file"
    # SQLite writes its -wal and -shm files beside the database.
    if not os.access(folder, os.W_OK | os.X_OK):
        return f"its folder {folder} is not writable"
    if path.exists() and not os.access(path, os.R_OK | os.W_OK):
        return "the file is not readable and writable"
    try:
        connection = sqlite3.connect(path)
        try:
            connection.execute("PRAGMA schema_version").fetchone()
        finally:
            connection.close()
    except sqlite3.DatabaseError as error:
        return f"the file is not a SQLite database ({error})"
    return ""


def reads_only() -> None:
    """Let the rest of this request read without queueing for SQLite's write lock.

    An error page after a failed write still reads (the signed-in user, for the layout);
    with a write transaction it would wait out the busy timeout again and fail.
    """
    g.database_reads_only = True


def configure_engine(app: Flask, engine: Engine) -> None:
    """Check the SQLite file and install its connection and transaction hooks on ``engine``
    (no-op for other databases)."""
    if not is_sqlite(engine):
        return
    check_sqlite_file(engine.url)
    busy_ms = int(app.config["SQLITE_BUSY_TIMEOUT_MS"])

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we send BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {busy_ms}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        read_only = has_request_context() and (
            request.method in SAFE_METHODS or g.get("database_reads_only", False)
        )
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")
