"""Fixtures shared by the whole suite: an app on a fresh migrated database, clients, people."""

from __future__ import annotations

import contextvars
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import event
from werkzeug.test import TestResponse

from learnapp import create_app
from learnapp.extensions import db
from learnapp.models import Entry, Kind, Membership, Role, Team, User, Visibility
from learnapp.security import hash_password

PASSWORD = "correct horse battery"
CSRF_PATTERN = re.compile(r'"X-CSRFToken": "([^"]+)"')
_HASH: dict[str, str] = {}


def password_hash() -> str:
    """One argon2id hash of PASSWORD for the whole run (hashing is slow on purpose)."""
    if "hash" not in _HASH:
        _HASH["hash"] = hash_password(PASSWORD)
    return _HASH["hash"]


def make_app(database_path: Path, **overrides: Any) -> Flask:
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "DATABASE_URL": f"sqlite:///{database_path}",
        "SQLITE_BUSY_TIMEOUT_MS": 2000,
    }
    config.update(overrides)
    return create_app(config)


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database file migrated to head once; each test gets a copy of it."""
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    app = make_app(path)
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return path


@pytest.fixture
def database_path(tmp_path: Path, migrated_template: Path) -> Path:
    path = tmp_path / "learnapp.sqlite3"
    shutil.copyfile(migrated_template, path)
    return path


@pytest.fixture
def app(database_path: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Flask]:
    monkeypatch.setenv("LEARNAPP_INSTANCE_PATH", str(tmp_path / "instance"))
    app = make_app(database_path)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


class Client:
    """A test browser: remembers its CSRF token and can speak as htmx.

    Each request runs in an empty context, as in a real server: the test's own app context
    (and its ``g``, where Flask-Login and Flask-WTF cache the user and the token) would
    otherwise be reused by every request, leaking one browser's login into another's. The
    test's own transaction is ended first so it never holds SQLite's write lock.
    """

    def __init__(self, flask_client: FlaskClient) -> None:
        self.raw = flask_client
        self._token: str | None = None

    def _isolated(self, call: Any, *args: Any, **kwargs: Any) -> Any:
        db.session.commit()
        return contextvars.Context().run(call, *args, **kwargs)

    def csrf_token(self) -> str:
        if self._token is None:
            page = self.get("/login")
            if page.status_code != 200:
                page = self.get("/entries/new")
            match = CSRF_PATTERN.search(page.text)
            assert match, "no CSRF token on the page"
            self._token = match.group(1)
        return self._token

    def get(self, url: str, htmx: bool = False, **kwargs: Any) -> TestResponse:
        headers = kwargs.pop("headers", {})
        if htmx:
            headers = {"HX-Request": "true", **headers}
        return self._isolated(self.raw.get, url, headers=headers, **kwargs)

    def post(
        self,
        url: str,
        data: dict[str, Any] | None = None,
        htmx: bool = False,
        csrf: bool = True,
        **kwargs: Any,
    ) -> TestResponse:
        data = dict(data or {})
        if csrf:
            data.setdefault("csrf_token", self.csrf_token())
        headers = kwargs.pop("headers", {})
        if htmx:
            headers = {"HX-Request": "true", **headers}
        return self._isolated(self.raw.post, url, data=data, headers=headers, **kwargs)

    def post_raw(self, url: str, body: str | bytes, content_type: str) -> TestResponse:
        """POST ``body`` exactly as given (for malformed or unusual request bodies)."""
        return self._isolated(self.raw.post, url, data=body, content_type=content_type)

    def login_as(self, user: User) -> Client:
        """Sign in without the form (the password check is tested in test_auth)."""
        user_id = user.get_id()

        def write_session() -> None:
            with self.raw.session_transaction() as session:
                session["_user_id"] = user_id
                session["_fresh"] = True

        self._isolated(write_session)
        return self


@contextmanager
def recorded_sql() -> Iterator[list[str]]:
    """Collect every SQL statement the app's engine sends while the block runs."""
    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


@pytest.fixture
def client(app: Flask) -> Client:
    return Client(app.test_client())


@pytest.fixture
def new_client(app: Flask) -> Any:
    """Make another independent browser (for a second person)."""
    return lambda: Client(app.test_client())


@pytest.fixture
def teams(app: Flask) -> dict[str, Team]:
    made = {slug: Team(name=slug.title(), slug=slug) for slug in ("platform", "payments")}
    db.session.add_all(made.values())
    db.session.commit()
    return made


@pytest.fixture
def make_user(app: Flask, teams: dict[str, Team]) -> Any:
    def make(
        name: str,
        team: str | None = "platform",
        role: Role = Role.MEMBER,
        admin: bool = False,
        active: bool = True,
    ) -> User:
        user = User(
            email=f"{name.lower()}@example.com",
            display_name=name,
            password_hash=password_hash(),
            is_admin=admin,
            is_active_account=active,
        )
        if team:
            user.memberships.append(Membership(team=teams[team], role=role))
        db.session.add(user)
        db.session.commit()
        return user

    return make


@pytest.fixture
def author(make_user: Any) -> User:
    return make_user("Ada")


@pytest.fixture
def make_entry(app: Flask) -> Any:
    counter = iter(range(1, 1_000_000))

    def make(author: User, **fields: Any) -> Entry:
        number = next(counter)
        fields.setdefault("title", f"Entry {number}")
        fields.setdefault("kind", Kind.LESSON)
        fields.setdefault("visibility", Visibility.ORG)
        if "team" not in fields and "team_id" not in fields and author.memberships:
            fields["team_id"] = author.memberships[0].team_id
        entry = Entry(author=author, idempotency_key=f"test-{number}", **fields)
        db.session.add(entry)
        db.session.commit()
        return entry

    return make
