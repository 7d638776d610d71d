"""Configuration from the environment, the generated secret, and SQLite write safety."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import text

from learnapp.config import load_config
from learnapp.extensions import db
from tests.conftest import recorded_sql


def test_environment_overrides_typed_defaults(monkeypatch, tmp_path):
    monkeypatch.setenv("LEARNAPP_HTTPS", "true")
    monkeypatch.setenv("LEARNAPP_FEED_PAGE_SIZE", "10")
    monkeypatch.setenv("LEARNAPP_ORG_NAME", "Acme")
    config = load_config(str(tmp_path))
    assert config["HTTPS"] is True and config["SESSION_COOKIE_SECURE"] is True
    assert config["FEED_PAGE_SIZE"] == 10 and config["ORG_NAME"] == "Acme"


def test_default_database_is_sqlite_in_the_instance_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("LEARNAPP_DATABASE_URL", raising=False)
    config = load_config(str(tmp_path))
    assert config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/learnapp.sqlite3"


@pytest.mark.parametrize(
    ("url", "pings"),
    [
        ("sqlite:////tmp/learnapp.sqlite3", False),
        ("postgresql+psycopg://postgres@127.0.0.1:5432/learnapp", True),
    ],
)
def test_only_server_connections_are_tested_on_checkout(tmp_path, url, pings):
    config = load_config(str(tmp_path), {"DATABASE_URL": url})
    assert config["SQLALCHEMY_ENGINE_OPTIONS"]["pool_pre_ping"] is pings


def test_secret_key_is_generated_once_and_kept(tmp_path, monkeypatch):
    monkeypatch.delenv("LEARNAPP_SECRET_KEY", raising=False)
    first = load_config(str(tmp_path))["SECRET_KEY"]
    second = load_config(str(tmp_path))["SECRET_KEY"]
    assert first == second and len(first) == 64 and first != "dev"
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


@pytest.mark.sqlite_only("PRAGMAs, WAL and the busy timeout are SQLite's")
def test_sqlite_pragmas(app):
    with db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 2000


@pytest.mark.sqlite_only("BEGIN IMMEDIATE is how SQLite writers queue for the lock")
def test_writes_begin_immediate_and_reads_deferred(app, client, author, make_entry):
    entry = make_entry(author=author)
    client.login_as(author)
    with recorded_sql() as reading:
        client.get("/")
    with recorded_sql() as writing:
        client.post(f"/entries/{entry.id}/delete")
    begins = [s for s in reading if s.startswith("BEGIN")]
    assert begins and set(begins) == {"BEGIN"}
    assert writing[0] == "BEGIN IMMEDIATE", "a POST reads under the write lock it will need"


@pytest.mark.sqlite_only("BEGIN IMMEDIATE is how SQLite writers queue for the lock")
def test_quick_entry_reads_and_validates_before_taking_the_write_lock(app, client, author):
    client.login_as(author)
    with recorded_sql() as writing:
        client.post("/entries", {"title": "write"})
    immediate = writing.index("BEGIN IMMEDIATE")
    assert writing[0] == "BEGIN"
    assert not any(s.startswith(("INSERT", "UPDATE", "DELETE")) for s in writing[:immediate]), (
        "only reads before the lock"
    )
    assert any(s.startswith("INSERT INTO entries") for s in writing[immediate:])
    with recorded_sql() as refused:
        client.post("/entries", {"title": ""})
    assert "BEGIN IMMEDIATE" not in refused, "an invalid form never queues for the lock"


@pytest.mark.sqlite_only("BEGIN IMMEDIATE is how SQLite writers queue for the lock")
def test_immediate_transactions_serialise_read_modify_write(app):
    """Two read-then-write transactions at once: with BEGIN IMMEDIATE neither update is lost."""
    db.session.execute(text("CREATE TABLE counter (n INTEGER)"))
    db.session.execute(text("INSERT INTO counter VALUES (0)"))
    db.session.commit()
    errors: list[Exception] = []
    engine = db.engine

    def bump() -> None:
        try:
            for _ in range(20):
                with engine.connect() as connection:  # outside a request: IMMEDIATE
                    n = connection.execute(text("SELECT n FROM counter")).scalar()
                    connection.execute(text("UPDATE counter SET n = :n"), {"n": n + 1})
                    connection.commit()
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=bump) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert db.session.execute(text("SELECT n FROM counter")).scalar() == 80


@pytest.mark.parametrize("bad", ["", "x"])
def test_cli_create_user(app, bad):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["create-user", "--email", "Root@Example.com", "--name", "Root", "--admin"],
        input=f"long enough pw{bad}\nlong enough pw{bad}\n",
    )
    assert result.exit_code == 0, result.output
    again = runner.invoke(
        args=["create-user", "--email", "root@example.com", "--name", "Root"],
        input="long enough pw\nlong enough pw\n",
    )
    assert again.exit_code != 0 and "has an account already" in again.output
