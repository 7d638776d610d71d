"""Fixtures shared by the whole suite: an app on a fresh migrated database, clients, people.

The suite runs on SQLite, or on PostgreSQL when ``LEARNAPP_TEST_DATABASE_URL`` names a
server (``make test-postgres``). Either way the migrations run once per pytest run into a
template, and each test starts from an empty migrated database:

- SQLite: each test gets its own copy of the template file.
- PostgreSQL: the run creates its own uniquely named databases (a template and a working
  copy of it) and drops them at the end. Between tests every table of the working database
  is emptied and its sequences restarted. Measured on this machine: that takes about 1 ms,
  where ``CREATE DATABASE … TEMPLATE`` plus ``DROP DATABASE`` cost 70-180 ms a test. A test
  that changes the schema asks for ``own_database_url`` (a fresh copy of the template).

Mark a test ``@pytest.mark.sqlite_only("why")`` or ``@pytest.mark.postgres_only("why")`` when
it is about one backend; on the other it skips with that reason. When the PostgreSQL server
cannot be reached the run skips with one reason, or fails at once when ``CI`` is set.
"""

from __future__ import annotations

import contextvars
import os
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
from sqlalchemy import event, make_url
from werkzeug.test import TestResponse

from learnapp import create_app
from learnapp.extensions import db
from learnapp.models import Entry, Kind, Membership, Role, Team, User, Visibility
from learnapp.security import hash_password
from tests.databases import PostgresDatabases, unreachable_reason

PASSWORD = "correct horse battery"
CSRF_PATTERN = re.compile(r'"X-CSRFToken": "([^"]+)"')
# Signing in (a 303 from one of these) starts the session with a new CSRF token.
SIGN_IN_PATHS = re.compile(r"/(login|register|invitations/)")
_HASH: dict[str, str] = {}


def password_hash() -> str:
    """One argon2id hash of PASSWORD for the whole run (hashing is slow on purpose)."""
    if "hash" not in _HASH:
        _HASH["hash"] = hash_password(PASSWORD)
    return _HASH["hash"]


TEST_DATABASE_URL = os.environ.get("LEARNAPP_TEST_DATABASE_URL", "").strip()
ON_POSTGRES = bool(TEST_DATABASE_URL)
BACKEND = "postgresql" if ON_POSTGRES else "sqlite"
_UNREACHABLE: list[str] = []  # why the PostgreSQL server cannot be used, once checked
_POSTGRES: list[PostgresDatabases] = []  # this run's databases, once the first is needed


def make_app(database: Path | str, **overrides: Any) -> Flask:
    """An app for tests on ``database``: a SQLite file path, or any SQLAlchemy URL."""
    url = database if isinstance(database, str) else f"sqlite:///{database}"
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "DATABASE_URL": url,
        "SQLITE_BUSY_TIMEOUT_MS": 2000,
    }
    config.update(overrides)
    return create_app(config)


def migrate(database: Path | str) -> None:
    """Run every migration on ``database``, then let go of its connections."""
    app = make_app(database)
    with app.app_context():
        upgrade()
        db.engine.dispose()


# --- Backends: markers, the reachability check ---------------------------------------------


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "sqlite_only(reason): about SQLite only; skips on PostgreSQL with the reason"
    )
    config.addinivalue_line(
        "markers", "postgres_only(reason): about PostgreSQL only; skips on SQLite with the reason"
    )


def pytest_report_header(config: pytest.Config) -> str:
    where = make_url(TEST_DATABASE_URL).render_as_string() if ON_POSTGRES else "SQLite files"
    return f"learnapp database backend: {BACKEND} ({where})"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip tests about the other backend; check once that PostgreSQL can be reached."""
    other = "sqlite_only" if ON_POSTGRES else "postgres_only"
    for item in items:
        mark = item.get_closest_marker(other)
        if mark is not None:
            why = mark.args[0] if mark.args else mark.kwargs.get("reason", "")
            item.add_marker(pytest.mark.skip(reason=f"{other.replace('_', ' ')}: {why}"))
    if ON_POSTGRES and items:
        problem = unreachable_reason(TEST_DATABASE_URL)
        if problem and os.environ.get("CI"):
            pytest.exit(f"{problem} (CI is set, so this is a failure, not a skip)", returncode=1)
        if problem:
            _UNREACHABLE.append(problem)


@pytest.fixture(scope="session", autouse=True)
def _postgres_reachable() -> None:
    """Skip every test of a PostgreSQL run whose server cannot be reached."""
    if _UNREACHABLE:
        pytest.skip(_UNREACHABLE[0])


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Report the skips of an unreachable PostgreSQL at one place: one summary line."""
    report = yield
    if _UNREACHABLE and report.skipped and isinstance(report.longrepr, tuple):
        where = pytest_collection_modifyitems.__code__.co_firstlineno
        report.longrepr = (__file__, where, f"Skipped: {_UNREACHABLE[0]}")
    return report


def postgres_run() -> PostgresDatabases:
    """This run's PostgreSQL databases, the template migrated on first use."""
    assert ON_POSTGRES, "needs PostgreSQL: set LEARNAPP_TEST_DATABASE_URL"
    if not _POSTGRES:
        databases = PostgresDatabases(TEST_DATABASE_URL)
        _POSTGRES.append(databases)
        migrate(databases.url(databases.create(databases.template)))
    return _POSTGRES[0]


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Drop every PostgreSQL database this run created."""
    while _POSTGRES:
        _POSTGRES.pop().drop_all()


def empty_database_url(folder: Path) -> str:
    """A new database, not migrated yet, for a server of a test's own: a SQLite file in
    ``folder``, or a new PostgreSQL database (dropped at the end of the run)."""
    if ON_POSTGRES:
        return postgres_run().url(postgres_run().create())
    return f"sqlite:///{folder / 'learnapp.sqlite3'}"


@pytest.fixture(scope="session")
def postgres_databases() -> PostgresDatabases:
    """This run's PostgreSQL databases: a migrated template and copies of it."""
    if not ON_POSTGRES:
        pytest.skip("needs PostgreSQL: set LEARNAPP_TEST_DATABASE_URL")
    return postgres_run()


# --- Databases for one test ----------------------------------------------------------------


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite database file migrated to head once; each test gets a copy of it."""
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    migrate(path)
    return path


@pytest.fixture
def database_path(tmp_path: Path, request: pytest.FixtureRequest) -> Path:
    """This test's own SQLite database file, migrated (SQLite runs only: a file has no
    meaning on PostgreSQL, where tests use ``database_url``)."""
    if ON_POSTGRES:
        pytest.skip("uses a SQLite database file (database_path); this run is on PostgreSQL")
    path = tmp_path / "learnapp.sqlite3"
    shutil.copyfile(request.getfixturevalue("migrated_template"), path)
    return path


@pytest.fixture
def database_url(request: pytest.FixtureRequest) -> str:
    """The URL of an empty migrated database for this test, on this run's backend."""
    if ON_POSTGRES:
        databases: PostgresDatabases = request.getfixturevalue("postgres_databases")
        return databases.fresh_working_url()
    return f"sqlite:///{request.getfixturevalue('database_path')}"


def _own_database(request: pytest.FixtureRequest, folder: Path) -> str:
    """A migrated database for ``request``'s fixture alone, gone when that fixture ends."""
    if ON_POSTGRES:
        databases: PostgresDatabases = request.getfixturevalue("postgres_databases")
        url = databases.copy_of_template()
        request.addfinalizer(lambda: databases.drop(url))
        return url
    path = folder / "own.sqlite3"
    shutil.copyfile(request.getfixturevalue("migrated_template"), path)
    return f"sqlite:///{path}"


@pytest.fixture
def own_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated database no other test touches (for tests that change the schema or
    serve it from other processes); on PostgreSQL a fresh copy of the template."""
    return _own_database(request, tmp_path)


@pytest.fixture(scope="module")
def module_database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> str:
    """Like ``own_database_url``, shared by the tests of one module (a server they share)."""
    return _own_database(request, tmp_path_factory.mktemp("module-database"))


@pytest.fixture
def app(database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Flask]:
    monkeypatch.setenv("LEARNAPP_INSTANCE_PATH", str(tmp_path / "instance"))
    app = make_app(database_url)
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
        response = self._isolated(self.raw.post, url, data=data, headers=headers, **kwargs)
        if response.status_code == 303 and SIGN_IN_PATHS.match(url):
            self._token = None
        return response

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
