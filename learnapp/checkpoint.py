"""SQLite's WAL checkpoints, off the request path, in each served worker.

In WAL mode a commit appends to the log (``-wal``), and the commit that finds the log over
1,000 pages (``wal_autocheckpoint``) copies it back into the database file first. That
request pays for the copy: 4.7 ms at the benchmark's 100,000 entries against 0.26 ms for an
ordinary commit, in one post of a hundred, and every request queued on that worker waits
behind it.

``start_checkpointer`` runs a thread in a gunicorn worker (``post_worker_init`` in
gunicorn.conf.py) that asks for a passive checkpoint every tenth of a second, so the log
rarely reaches the threshold and requests commit without copying. Passive: it copies what no
reader still needs and never waits on a reader or a writer. The copy itself runs in SQLite,
which lets go of Python's interpreter, so the worker's request thread carries on meanwhile.
The threshold stays as it is, for when the thread falls behind, and for the tests, the
command line and the development server, which run no such thread.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from dataclasses import dataclass

from flask import Flask

from learnapp.database import is_sqlite, sqlite_file_name
from learnapp.extensions import db

INTERVAL_SECONDS = 0.1
THREAD_NAME = "sqlite-checkpoint"


@dataclass
class Checkpointer:
    """A running checkpoint thread; ``stop`` ends it (it also ends with its process)."""

    thread: threading.Thread
    stopping: threading.Event

    def stop(self, timeout: float = 5) -> None:
        self.stopping.set()
        self.thread.join(timeout)


def start_checkpointer(app: Flask, interval: float = INTERVAL_SECONDS) -> Checkpointer | None:
    """Checkpoint ``app``'s SQLite database every ``interval`` seconds from a daemon thread;
    ``None`` (nothing started) for another database or one in memory."""
    with app.app_context():
        engine = db.engine
    path = sqlite_file_name(engine.url) if is_sqlite(engine) else None
    if path is None:
        return None
    stopping = threading.Event()

    def checkpoint_until_stopped() -> None:
        # Never waits for a lock: a turn that finds one taken is simply skipped.
        connection = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            while not stopping.wait(interval):
                # Busy (another worker's checkpoint is running): the next turn will do.
                with contextlib.suppress(sqlite3.OperationalError):
                    connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        finally:
            connection.close()

    thread = threading.Thread(target=checkpoint_until_stopped, name=THREAD_NAME, daemon=True)
    thread.start()
    return Checkpointer(thread, stopping)
