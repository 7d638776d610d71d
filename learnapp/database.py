"""Engine behaviour that keeps writes safe: SQLite pragmas and IMMEDIATE write transactions.

Python's sqlite3 driver starts transactions lazily with a plain ``BEGIN``; two requests that
read then write can then both succeed while one update is lost, or fail late with "database
is locked". We turn the driver's own transaction handling off and issue ``BEGIN IMMEDIATE``
ourselves for anything that may write, so writers queue on the lock (up to the busy timeout)
before they read, looking again every half millisecond (``begin_immediate``). Safe
(read-only) requests keep a deferred ``BEGIN`` so readers never wait, and a POST view that
validates first reads in one too until it starts writing (``reads_before_writing``).

A SQLite file that cannot be used (its folder cannot be made, it is a folder, it is not a
database) stops the app while it is built, naming the file, instead of failing every request.
"""

from __future__ import annotations

import functools
import os
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from flask import Flask, g, has_request_context, request
from sqlalchemy import Connection, event
from sqlalchemy.engine import URL, Engine
from sqlalchemy.exc import OperationalError

from learnapp.extensions import db

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# How long a writer waits before looking at SQLite's lock again: doubling up to the longest,
# which is shorter than a quick write holds the lock (about 0.7 ms).
FIRST_PAUSE = 0.000_1
LONGEST_PAUSE = 0.000_5

View = TypeVar("View", bound=Callable[..., Any])


def is_sqlite(engine: Engine) -> bool:
    """Whether ``engine`` talks to SQLite."""
    return engine.dialect.name == "sqlite"


def sqlite_file_name(url: URL) -> str | None:
    """The file a SQLite ``url`` names; None for a database in memory, or for a URI whose
    options SQLite itself interprets."""
    name = url.database or ""
    if name in ("", ":memory:") or name.startswith("file:"):
        return None
    return name


class DatabaseUnusable(RuntimeError):
    """The configured database cannot be used at all (raised while the app is built)."""


def check_sqlite_file(url: URL) -> None:
    """Raise DatabaseUnusable, naming the file, when the SQLite database of ``url`` cannot
    be opened for writing; a missing file (and its folder) is created, as SQLite would."""
    name = sqlite_file_name(url)
    if name is None:
        return
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
    def _on_begin(connection: Connection) -> None:
        read_only = has_request_context() and (
            request.method in SAFE_METHODS or g.get("database_reads_only", False)
        )
        if read_only:
            connection.exec_driver_sql("BEGIN")
        else:
            begin_immediate(connection, busy_ms)


def begin_immediate(connection: Connection, busy_ms: int) -> None:
    """Send ``BEGIN IMMEDIATE``, trying again every half millisecond while another
    connection writes, for ``busy_ms`` (the busy timeout); then "database is locked" stands.

    SQLite's own busy handler would wait in growing sleeps of up to 100 ms: a writer that
    missed the lock a few times then sleeps long after it was freed, and under a burst of
    writes the lock sits idle while every waiter sleeps. Writes here hold it for about a
    millisecond, so waiters look again at that pace. The connection's busy timeout is off while
    this loops (the loop is the wait) and back on for the transaction's statements.
    """
    raw: Any = connection.connection.dbapi_connection  # the sqlite3 connection itself
    deadline = time.monotonic() + busy_ms / 1000
    pause = FIRST_PAUSE
    raw.execute("PRAGMA busy_timeout = 0")
    try:
        while True:
            try:
                connection.exec_driver_sql("BEGIN IMMEDIATE")
                return
            except OperationalError as error:
                code = getattr(error.orig, "sqlite_errorcode", None)
                if code != sqlite3.SQLITE_BUSY or time.monotonic() + pause > deadline:
                    raise
            time.sleep(pause)
            pause = min(pause * 2, LONGEST_PAUSE)
    finally:
        raw.execute(f"PRAGMA busy_timeout = {int(busy_ms)}")


def reads_before_writing(view: View) -> View:
    """Let a POST view read and validate before it takes SQLite's write lock.

    The request's statements run in a deferred (read) transaction until the view calls
    ``start_writing()``; the signed-in user and the form's checks then cost other writers
    nothing, and an invalid form never queues for the lock at all. What the view read is
    as of its read transaction: use it for checks whose answer a write a moment later
    could not make wrong (a create, not a move from one state to another).
    """

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        g.database_reads_only = True
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def start_writing() -> None:
    """End the read transaction of a ``@reads_before_writing`` view, keeping what it
    loaded, so that its next statement begins the write transaction."""
    g.database_reads_only = False
    end_transaction_keeping_loaded()


def end_transaction_keeping_loaded() -> None:
    """Commit the session's open transaction, if any, leaving what it loaded loaded (on
    SQLite a transaction that has read holds back writers on other connections)."""
    session = db.session()
    if session.in_transaction():
        expire = session.expire_on_commit
        session.expire_on_commit = False
        try:
            session.commit()
        finally:
            session.expire_on_commit = expire
