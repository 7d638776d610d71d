"""SQLite's log is copied into the database file by the worker's checkpoint thread."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest

from learnapp.checkpoint import THREAD_NAME, start_checkpointer
from tests.conftest import make_app

pytestmark = pytest.mark.sqlite_only

ROWS = 50


def _rows_in_the_database_file(database: Path) -> int | None:
    """Probe rows in the main file alone, ignoring the log (None while it has no table)."""
    main_file_only = sqlite3.connect(f"file:{database}?immutable=1", uri=True)
    try:
        return main_file_only.execute("SELECT count(*) FROM checkpoint_probe").fetchone()[0]
    except sqlite3.DatabaseError:
        return None
    finally:
        main_file_only.close()


@pytest.fixture
def logged_writes(database_path: Path):
    """``ROWS`` rows committed into the log by a connection that never checkpoints itself."""
    writer = sqlite3.connect(database_path, isolation_level=None)
    writer.execute("PRAGMA journal_mode = WAL")
    writer.execute("PRAGMA wal_autocheckpoint = 0")
    writer.execute("CREATE TABLE checkpoint_probe (n INTEGER)")
    for n in range(ROWS):
        writer.execute("INSERT INTO checkpoint_probe VALUES (?)", (n,))
    yield database_path
    writer.close()


def test_the_log_reaches_the_database_file_without_a_request_copying_it(logged_writes):
    time.sleep(0.3)
    assert _rows_in_the_database_file(logged_writes) is None, "nothing copies it on its own"
    checkpointer = start_checkpointer(make_app(logged_writes), interval=0.01)
    assert checkpointer is not None and checkpointer.thread.name == THREAD_NAME
    try:
        deadline = time.monotonic() + 5
        while _rows_in_the_database_file(logged_writes) != ROWS:
            assert time.monotonic() < deadline, "the log was not copied into the file"
            time.sleep(0.02)
    finally:
        checkpointer.stop()
    assert not checkpointer.thread.is_alive()


def test_nothing_is_started_for_a_database_in_memory():
    assert start_checkpointer(make_app("sqlite://")) is None
