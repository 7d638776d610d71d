"""The PostgreSQL databases of one test run: a migrated template, copies of it, cleanup.

Names start with ``learnapp_test_<pid>_<random>`` so two runs on one server never share a
database; ``drop_all`` removes every one of them at the end of the run.
"""

from __future__ import annotations

import itertools
import os
import secrets

import psycopg
from sqlalchemy import MetaData, create_engine, inspect, make_url, text

from learnapp.extensions import db

PRODUCTION_LIKE_LOCALE = (
    "TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'"
)
SESSION_SETTINGS = (
    "timezone TO 'Pacific/Chatham'",  # UTC+12:45 or +13:45
    "synchronous_commit TO off",  # a test database needs no durability across a crash
)

# Tables, columns, indexes and constraints of the public schema: a test that changed the
# shared database's schema leaves a different fingerprint, and the database is rebuilt.
SCHEMA_FINGERPRINT = """
SELECT md5(coalesce(string_agg(relname || ':' || relkind::text || ':' || relnatts, ','
                                ORDER BY relname), '')
           || (SELECT count(*) FROM pg_constraint
               WHERE connamespace = 'public'::regnamespace)::text)
FROM pg_class WHERE relnamespace = 'public'::regnamespace
"""


def libpq(url: str) -> str:
    """A SQLAlchemy PostgreSQL URL as psycopg's connection string."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def unreachable_reason(url: str) -> str:
    """Why the server at ``url`` cannot be used, or '' when it answers."""
    try:
        with psycopg.connect(libpq(url), connect_timeout=3):
            return ""
    except psycopg.Error as error:
        lines = str(error).strip().splitlines() or [type(error).__name__]
        shown = make_url(url).render_as_string()  # the password masked
        return f"PostgreSQL at {shown} (LEARNAPP_TEST_DATABASE_URL) is unreachable: {lines[0]}"


class PostgresDatabases:
    """This run's databases on the server of ``server_url`` (which must exist already)."""

    def __init__(self, server_url: str) -> None:
        self.server_url = make_url(server_url)
        self.prefix = f"learnapp_test_{os.getpid()}_{secrets.token_hex(3)}"
        self.template = f"{self.prefix}_template"
        self.names: list[str] = []
        self._numbers = itertools.count(1)
        self._admin = psycopg.connect(libpq(server_url), autocommit=True)
        self._working_name = ""
        self._working: psycopg.Connection | None = None
        self._emptying = ""
        self._fingerprint = ""

    def url(self, name: str) -> str:
        """The SQLAlchemy URL of database ``name`` on this server."""
        return self.server_url.set(database=name).render_as_string(hide_password=False)

    def create(self, name: str = "", template: str = "") -> str:
        """Create a database (empty, or a copy of ``template``); returns its name.

        An empty one sorts text like a production server usually does (ICU, en-US, where
        "a" < "B"; not byte order as in SQLite and the C locale) when the server has ICU.
        Every one runs its sessions in a timezone with an odd offset, so SQL that works
        on local times instead of UTC shows, and commits without waiting for the disk.
        """
        name = name or f"{self.prefix}_{next(self._numbers)}"
        if template:
            self._admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        else:
            try:
                self._admin.execute(f'CREATE DATABASE "{name}" {PRODUCTION_LIKE_LOCALE}')
            except psycopg.Error:  # no ICU, or older than PostgreSQL 15
                self._admin.execute(f'CREATE DATABASE "{name}"')
        self.names.append(name)
        for setting in SESSION_SETTINGS:
            self._admin.execute(f'ALTER DATABASE "{name}" SET {setting}')
        return name

    def copy_of_template(self) -> str:
        """The URL of a new database copied from the migrated template."""
        return self.url(self.create(template=self.template))

    def drop(self, url: str) -> None:
        """Drop the database at ``url`` (closing whatever is still connected to it)."""
        name = make_url(url).database or ""
        self._admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if name in self.names:
            self.names.remove(name)

    def fresh_working_url(self) -> str:
        """The URL of the database most tests share, emptied: no rows, sequences at 1.

        Made from the template on first use, and again when an earlier test changed its
        schema (it would no longer be the migrations' schema).
        """
        if self._working is not None and self._schema_fingerprint() != self._fingerprint:
            self._working.close()
            self._working = None
            self.drop(self.url(self._working_name))
        if self._working is None:
            self._working_name = self.create(template=self.template)
            url = self.url(self._working_name)
            self._working = psycopg.connect(libpq(url), autocommit=True)
            # A test that left a transaction open would make the reset wait forever.
            self._working.execute("SET lock_timeout = '10s'")
            self._emptying = _emptying_sql(url)
            self._fingerprint = self._schema_fingerprint()
        else:
            self._working.execute(self._emptying)
        return self.url(self._working_name)

    def _schema_fingerprint(self) -> str:
        assert self._working is not None
        row = self._working.execute(SCHEMA_FINGERPRINT).fetchone()
        return row[0] if row else ""

    def drop_all(self) -> None:
        """Drop every database this run created."""
        if self._working is not None:
            self._working.close()
        for name in reversed(self.names):
            self._admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.names.clear()
        self._admin.close()


def _emptying_sql(url: str) -> str:
    """SQL that deletes every row of the database at ``url`` and restarts its sequences."""
    engine = create_engine(url)
    try:
        metadata = MetaData()
        metadata.reflect(engine)
        with engine.connect() as connection:
            sequences = connection.exec_driver_sql(
                "SELECT quote_ident(schemaname) || '.' || quote_ident(sequencename) "
                "FROM pg_sequences"
            ).scalars()
            restarts = [f"SELECT setval('{name}', 1, false)" for name in sequences]
    finally:
        engine.dispose()
    # Children before parents, so no foreign key refuses a DELETE.
    deletes = [
        f'DELETE FROM "{table.name}"'
        for table in reversed(metadata.sorted_tables)
        if table.name != "alembic_version"
    ]
    return ";\n".join(deletes + restarts)


def row_counts() -> dict[str, int]:
    """Rows in every table of the app's database (but Alembic's own), for migration tests."""
    names = inspect(db.engine).get_table_names()
    counts = {
        name: db.session.execute(text(f'SELECT count(*) FROM "{name}"')).scalar_one()
        for name in names
        if name != "alembic_version"
    }
    db.session.commit()  # on SQLite, outside a request, a transaction holds the write lock
    return counts
