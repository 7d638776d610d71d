"""Engine behaviour that keeps writes safe: SQLite pragmas and IMMEDIATE write transactions.

Python's sqlite3 driver starts transactions lazily with a plain ``BEGIN``; two requests that
read then write can then both succeed while one update is lost, or fail late with "database
is locked". We turn the driver's own transaction handling off and issue ``BEGIN IMMEDIATE``
ourselves for anything that may write, so writers queue on the lock (up to the busy timeout)
before they read. Safe (read-only) requests keep a deferred ``BEGIN`` so readers never wait.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def is_sqlite(engine: Engine) -> bool:
    """Whether ``engine`` talks to SQLite."""
    return engine.dialect.name == "sqlite"


def configure_engine(app: Flask, engine: Engine) -> None:
    """Install the SQLite connection and transaction hooks on ``engine`` (no-op elsewhere)."""
    if not is_sqlite(engine):
        return
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
        read_only = has_request_context() and request.method in SAFE_METHODS
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")
