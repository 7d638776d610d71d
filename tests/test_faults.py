"""Faults: a database locked past the busy timeout, a full disk, a database that cannot be used.

Each is a clear answer with nothing half-written and the user's text kept, never a 500:
503 with Retry-After, 507, or the app refusing to start with the file named.
"""

from __future__ import annotations

import html
import os
import re
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from flask import Flask
from sqlalchemy import event, func, select
from sqlalchemy.exc import IntegrityError, OperationalError

from learnapp.config import PROJECT_ROOT
from learnapp.database import DatabaseUnusable
from learnapp.errors import database_fault
from learnapp.extensions import db
from learnapp.models import Entry, Tag
from tests.conftest import Client, make_app

SQLITE_ONLY = pytest.mark.sqlite_only("SQLite's write lock, page limit and database file")
LESSON = {
    "title": "Deploys on Friday need a second pair of eyes",
    "what_happened": "We shipped at 17:55.\nThe rollback script was stale.",
    "tags": "deploy, friday-rule",
    "visibility": "org",
    "kind": "lesson",
}
BUSY_TIMEOUT_MS = 200
FORM_FIELD = re.compile(
    r'<input type="hidden" name="([^"]+)" value="([^"]*)">'
    r'|<textarea[^>]* name="([^"]+)"[^>]*>([^<]*)</textarea>'
)


@pytest.fixture
def app(database_url: str, tmp_path: Path, monkeypatch: Any) -> Iterator[Flask]:
    """The suite's app, with a short SQLite busy timeout: a held lock is given up quickly."""
    monkeypatch.setenv("LEARNAPP_INSTANCE_PATH", str(tmp_path / "instance"))
    app = make_app(database_url, SQLITE_BUSY_TIMEOUT_MS=BUSY_TIMEOUT_MS)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def writer(client: Client, author: Any) -> Client:
    """Ada, signed in, with her CSRF token already fetched."""
    client.login_as(author).csrf_token()
    return client


@pytest.fixture
def lock_held(database_path: Path) -> Iterator[None]:
    """Another process's write transaction holds SQLite's write lock meanwhile."""
    other = sqlite3.connect(database_path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    yield
    other.execute("ROLLBACK")
    other.close()


def stored() -> tuple[int, int]:
    """How many entries and tags the database holds."""
    db.session.commit()  # read what other connections committed
    return db.session.scalar(select(func.count(Entry.id))), db.session.scalar(
        select(func.count(Tag.id))
    )


def resend_form(page: str) -> dict[str, list[str]]:
    """The fields of the "send it again" form on an error page."""
    fields: dict[str, list[str]] = {}
    for hidden_name, hidden_value, area_name, area_value in FORM_FIELD.findall(page):
        name, value = (hidden_name, hidden_value) if hidden_name else (area_name, area_value)
        fields.setdefault(name, []).append(html.unescape(value))
    return fields


def assert_text_kept(page: str) -> dict[str, list[str]]:
    form = resend_form(page)
    assert form["title"] == [LESSON["title"]]
    assert form["what_happened"] == [LESSON["what_happened"]]
    assert form["tags"] == [LESSON["tags"]]
    assert "Send it again" in page and 'action="/entries"' in page
    return form


# --- (a) The database stays locked past the busy timeout -------------------------------------


@SQLITE_ONLY
def test_locked_database_answers_503_with_the_text_ready_to_send_again(writer, lock_held):
    started = time.monotonic()
    response = writer.post("/entries", LESSON)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "2"
    assert "nothing you typed was lost" in response.text
    assert_text_kept(response.text)
    # The page read the signed-in user without queueing for the write lock a second time.
    assert "Log out Ada" in response.text
    assert time.monotonic() - started < 2 * BUSY_TIMEOUT_MS / 1000 + 1


@SQLITE_ONLY
def test_locked_database_under_htmx_answers_an_alert_and_leaves_the_form(writer, lock_held):
    response = writer.post("/entries", LESSON, htmx=True)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "2"
    assert 'role="alert"' in response.text and "send it again in a moment" in response.text
    # No swap instruction: htmx leaves the form as the user typed it (app.js says so).
    assert "HX-Retarget" not in response.headers and "HX-Reswap" not in response.headers
    assert "<form" not in response.text


@SQLITE_ONLY
def test_nothing_is_written_while_locked_and_sending_again_saves_it_once(writer, database_path):
    key = {"idempotency_key": "retry-after-lock-1"}
    other = sqlite3.connect(database_path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    refused = writer.post("/entries", {**LESSON, **key})
    other.execute("ROLLBACK")
    other.close()
    assert refused.status_code == 503
    assert stored() == (0, 0)

    form = resend_form(refused.text)
    assert form["idempotency_key"] == [key["idempotency_key"]]
    again = writer.post("/entries", form)
    twice = writer.post("/entries", form)  # a double click on "Send it again"
    assert again.status_code == twice.status_code == 303
    assert stored() == (1, 2)
    entry = db.session.scalar(select(Entry))
    assert entry.title == LESSON["title"]
    assert entry.what_happened.replace("\r\n", "\n") == LESSON["what_happened"]


@SQLITE_ONLY
def test_a_write_waits_out_a_lock_held_briefly_then_saves(writer, database_path):
    other = sqlite3.connect(database_path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    release = threading.Timer(BUSY_TIMEOUT_MS / 4000, other.execute, ["ROLLBACK"])
    release.start()
    try:
        response = writer.post("/entries", LESSON)
    finally:
        release.join()
        other.close()
    assert response.status_code == 303
    assert stored() == (1, 2)
    db.session.remove()  # its transaction holds the write lock (outside a request)
    with db.engine.connect() as connection:  # BEGIN IMMEDIATE, waiting as a request would
        # Waiting switches SQLite's own busy timeout off for a moment; it is back on.
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == BUSY_TIMEOUT_MS


@SQLITE_ONLY
@pytest.mark.parametrize("htmx", [False, True])
def test_an_invalid_quick_entry_is_answered_without_waiting_for_the_lock(writer, lock_held, htmx):
    started = time.monotonic()
    response = writer.post("/entries", {**LESSON, "title": ""}, htmx=htmx)
    assert response.status_code == 422, "the form's errors, not a busy database"
    assert "Please fill this in." in response.text
    assert time.monotonic() - started < BUSY_TIMEOUT_MS / 1000


# --- (b) The disk is full ---------------------------------------------------------------------


@pytest.fixture
def full_disk(app: Flask, database_path: Path) -> Iterator[None]:
    """Every new connection may not grow the database file by a single page."""
    db.engine.dispose()
    with sqlite3.connect(database_path, isolation_level=None) as raw:
        raw.execute("VACUUM")  # no free pages left over from the migrations to fill first
        pages = raw.execute("PRAGMA page_count").fetchone()[0]
    raw.close()

    def cap(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute(f"PRAGMA max_page_count = {pages}")

    event.listen(db.engine, "connect", cap)
    db.engine.dispose()
    yield
    event.remove(db.engine, "connect", cap)
    db.engine.dispose()


# Longer than a page, so the row needs new pages however much room the table has left.
LONG_LESSON = {**LESSON, "what_happened": "A long story.\n" * 600}


@SQLITE_ONLY
@pytest.mark.parametrize("htmx", [False, True])
def test_full_disk_answers_507_and_writes_nothing(writer, full_disk, htmx):
    before = stored()
    response = writer.post("/entries", LONG_LESSON, htmx=htmx)
    assert response.status_code == 507
    assert "run out of storage space" in response.text
    assert stored() == before  # neither the entry nor its new tags
    if htmx:
        assert 'role="alert"' in response.text and "<form" not in response.text
    else:
        form = resend_form(response.text)
        assert form["what_happened"] == [LONG_LESSON["what_happened"]]
        assert form["title"] == [LESSON["title"]]


# --- Which database errors are faults a user can wait out -------------------------------------


def _sqlite_error(code: int, message: str) -> sqlite3.Error:
    """The error sqlite3 raises for result ``code`` (it sets sqlite_errorcode itself)."""
    kind = sqlite3.IntegrityError if code & 0xFF == sqlite3.SQLITE_CONSTRAINT else None
    error = (kind or sqlite3.OperationalError)(message)
    error.sqlite_errorcode = code
    return error


@pytest.mark.parametrize(
    ("wrapper", "orig", "fault"),
    [
        (OperationalError, _sqlite_error(sqlite3.SQLITE_BUSY, "database is locked"), "busy"),
        (OperationalError, _sqlite_error(sqlite3.SQLITE_FULL, "database or disk is full"), "full"),
        (OperationalError, _sqlite_error(sqlite3.SQLITE_IOERR, "disk I/O error"), None),
        (IntegrityError, _sqlite_error(2067, "UNIQUE constraint failed: tags.name"), "duplicate"),
        (IntegrityError, _sqlite_error(1299, "NOT NULL constraint failed: tags.name"), None),
        (OperationalError, psycopg.errors.LockNotAvailable("lock timeout"), "busy"),
        (OperationalError, psycopg.errors.SerializationFailure("could not serialize"), "busy"),
        (OperationalError, psycopg.errors.DeadlockDetected("deadlock detected"), "busy"),
        (OperationalError, psycopg.errors.DiskFull("could not extend file"), "full"),
        (IntegrityError, psycopg.errors.UniqueViolation("duplicate key value"), "duplicate"),
        (IntegrityError, psycopg.errors.ForeignKeyViolation("violates foreign key"), None),
        (OperationalError, psycopg.errors.UndefinedTable("no such table"), None),
    ],
)
def test_database_faults_are_told_apart(wrapper, orig, fault):
    assert database_fault(wrapper("INSERT …", {}, orig)) == fault


def test_a_unique_key_taken_at_the_same_moment_answers_409_not_500(app, client, author):
    @app.post("/_twice")
    def _twice() -> str:
        db.session.add_all([Tag(name="same"), Tag(name="same")])
        db.session.commit()
        return "saved"

    response = client.login_as(author).post("/_twice", {"note": "Keep this text please"})
    assert response.status_code == 409
    assert resend_form(response.text)["note"] == ["Keep this text please"]
    assert stored() == (0, 0)


# --- (c) A database that cannot be used stops the app at start ---------------------------------


def _not_a_database(tmp_path: Path) -> Path:
    path = tmp_path / "learnapp.sqlite3"
    path.write_bytes(b"these are a backup script's notes, not a SQLite file\n" * 40)
    return path


def _folder_at_the_path(tmp_path: Path) -> Path:
    path = tmp_path / "learnapp.sqlite3"
    path.mkdir()
    return path


def _folder_under_a_file(tmp_path: Path) -> Path:
    blocker = tmp_path / "instance"
    blocker.write_text("a file where the folder should be")
    return blocker / "data" / "learnapp.sqlite3"


UNUSABLE = {
    "not a database": (_not_a_database, "not a SQLite database"),
    "a folder": (_folder_at_the_path, "that is a folder"),
    "folder cannot be made": (_folder_under_a_file, "cannot be created"),
}


@SQLITE_ONLY
@pytest.mark.parametrize("case", UNUSABLE)
def test_create_app_refuses_an_unusable_database_naming_it(tmp_path, monkeypatch, case):
    make_path, reason = UNUSABLE[case]
    path = make_path(tmp_path)
    monkeypatch.setenv("LEARNAPP_INSTANCE_PATH", str(tmp_path / "elsewhere"))
    with pytest.raises(DatabaseUnusable) as refused:
        make_app(path)
    message = str(refused.value)
    assert str(path) in message and reason in message and "LEARNAPP_DATABASE_URL" in message


@SQLITE_ONLY
def test_a_missing_database_file_is_created_with_its_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("LEARNAPP_INSTANCE_PATH", str(tmp_path / "instance"))
    path = tmp_path / "new" / "folder" / "learnapp.sqlite3"
    app = make_app(path)
    with app.app_context():
        db.engine.dispose()
    assert path.is_file()


def _server_environment(tmp_path: Path, database: Path) -> dict[str, str]:
    return {
        **os.environ,
        "LEARNAPP_DATABASE_URL": f"sqlite:///{database}",
        "LEARNAPP_INSTANCE_PATH": str(tmp_path / "instance"),
        "LEARNAPP_SECRET_KEY": "fault-test-secret",
        "XDG_RUNTIME_DIR": str(tmp_path),  # gunicorn's control socket: this test's own
    }


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@SQLITE_ONLY
@pytest.mark.parametrize("command", ["flask db upgrade", "gunicorn"])
def test_commands_stop_at_once_naming_an_unusable_database(tmp_path, command):
    database = _not_a_database(tmp_path)
    bin_dir = Path(sys.executable).parent
    args = {
        "flask db upgrade": [str(bin_dir / "flask"), "--app", "app", "db", "upgrade"],
        "gunicorn": [
            str(bin_dir / "gunicorn"),
            "--workers",
            "1",
            "--bind",
            f"127.0.0.1:{_free_port()}",
            "app:app",
        ],
    }[command]
    started = time.monotonic()
    finished = subprocess.run(
        args,
        cwd=PROJECT_ROOT,
        env=_server_environment(tmp_path, database),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert finished.returncode != 0
    output = finished.stdout + finished.stderr
    assert f"cannot use the SQLite database {database}" in output
    assert time.monotonic() - started < 30
