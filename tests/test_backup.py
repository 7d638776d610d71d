"""`flask backup PATH`: a consistent SQLite copy while the app writes; PostgreSQL is pointed
at pg_dump."""

from __future__ import annotations

import threading
import time

from sqlalchemy import select, text

from learnapp import create_app
from learnapp.extensions import db
from learnapp.models import Entry
from tests.conftest import Client, make_app

ENTRIES_BEFORE_BACKUP = 15
ENTRIES_AFTER_BACKUP = 5
WAIT_S = 20


class Writer(threading.Thread):
    """Keeps posting lessons through the app, as a browser would, until told to stop."""

    def __init__(self, app, browser: Client) -> None:
        super().__init__(daemon=True)
        self.app, self.browser = app, browser
        self.committed: list[str] = []  # titles whose POST came back as saved
        self.failures: list[int] = []
        self.stop = threading.Event()

    def run(self) -> None:
        with self.app.app_context():
            number = 0
            while not self.stop.is_set():
                number += 1
                title = f"Lesson {number}"
                response = self.browser.post(
                    "/entries",
                    {
                        "title": title,
                        "kind": "lesson",
                        "visibility": "org",
                        "team": "0",
                        "idempotency_key": f"backup-{number}",
                    },
                )
                if response.status_code == 303:
                    self.committed.append(title)
                else:
                    self.failures.append(response.status_code)

    def wait_for(self, count: int) -> None:
        deadline = time.monotonic() + WAIT_S
        while len(self.committed) < count and not self.failures:
            assert time.monotonic() < deadline, f"only {len(self.committed)} entries saved"
            time.sleep(0.01)


# The SQLite tests ask for database_path, the fixture that skips them on a PostgreSQL run.


def test_backup_while_the_app_writes_holds_every_earlier_entry(
    app, database_path, author, tmp_path
):
    writer = Writer(app, Client(app.test_client()).login_as(author))
    writer.browser.csrf_token()
    writer.start()
    try:
        writer.wait_for(ENTRIES_BEFORE_BACKUP)
        saved_before = list(writer.committed)
        target = tmp_path / "backup.sqlite3"
        result = app.test_cli_runner().invoke(args=["backup", str(target)])
        writer.wait_for(len(writer.committed) + ENTRIES_AFTER_BACKUP)
    finally:
        writer.stop.set()
        writer.join(WAIT_S)
    assert result.exit_code == 0, result.output
    assert writer.failures == []

    restored = make_app(target)
    with restored.app_context():
        assert db.session.execute(text("PRAGMA integrity_check")).scalar() == "ok"
        titles = set(db.session.scalars(select(Entry.title)))
        db.engine.dispose()
    assert set(saved_before) <= titles
    assert len(titles) <= len(writer.committed), "the copy cannot hold more than was saved"
    assert reported_rows(result.output)["entries"] == len(titles)


def reported_rows(output: str) -> dict[str, int]:
    """The "Rows per table" the command printed."""
    listing = output.split("Rows per table:\n", 1)[1]
    return {
        name: int(count.replace(",", "")) for name, count in map(str.split, listing.splitlines())
    }


def test_backup_refuses_to_overwrite_a_file_unless_forced(app, database_path, tmp_path):
    target = tmp_path / "backup.sqlite3"
    target.write_text("last week's backup")
    refused = app.test_cli_runner().invoke(args=["backup", str(target)])
    assert refused.exit_code != 0
    assert "exists already" in refused.output and "--force" in refused.output
    assert target.read_text() == "last week's backup"

    forced = app.test_cli_runner().invoke(args=["backup", "--force", str(target)])
    assert forced.exit_code == 0, forced.output
    assert target.read_bytes().startswith(b"SQLite format 3\x00")
    assert target.stat().st_mode & 0o077 == 0, "only the owner may read a backup"
    assert [p.name for p in tmp_path.iterdir() if "partial" in p.name] == []


def test_backup_of_postgresql_points_at_pg_dump(tmp_path, monkeypatch):
    monkeypatch.setenv("LEARNAPP_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "DATABASE_URL": "postgresql+psycopg://learnapp:s3cret@db.internal:5432/learnapp",
        }
    )
    result = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "backup.sqlite3")])
    assert result.exit_code != 0
    assert "pg_dump" in result.output and "pg_restore" in result.output
    assert "postgresql://learnapp@db.internal:5432/learnapp" in result.output
    assert "s3cret" not in result.output
    assert not (tmp_path / "backup.sqlite3").exists()
