"""Backups of the database while the app keeps running (``flask --app app backup PATH``).

SQLite: sqlite3's online backup API copies every page inside one read transaction, so the
copy is one consistent moment of the database even while requests write (WAL lets writers
go on meanwhile). The copy is written beside the target and moved into place only once its
integrity check passes, so a failed backup never leaves a half-written file at PATH.
PostgreSQL has its own tool for this: ``pg_dump``.
"""

from __future__ import annotations

import os
import sqlite3
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import URL


class BackupError(Exception):
    """The backup was not made; the message says why and what to do."""


@dataclass
class Backup:
    """A finished backup: where it is, its size, and the rows of each table in it."""

    path: Path
    size_bytes: int
    rows: dict[str, int] = field(default_factory=dict)


def backup_database(url: URL, target: Path, force: bool = False) -> Backup:
    """Copy the database at ``url`` to the file ``target``; refuse to overwrite unless ``force``."""
    if url.get_backend_name() != "sqlite":
        raise BackupError(_not_sqlite_message(url))
    if not url.database or url.database == ":memory:":
        raise BackupError("This database lives in memory only; there is no file to back up.")
    source = Path(url.database)
    if not source.is_file():
        raise BackupError(f"There is no database file at {source}.")
    if target.exists() and not force:
        raise BackupError(f"{target} exists already. Choose another path, or add --force.")
    if not target.parent.is_dir():
        raise BackupError(f"The folder {target.parent} does not exist.")
    if target.resolve() == source.resolve():
        raise BackupError("The backup cannot overwrite the database itself.")

    partial = target.with_name(f".{target.name}.partial-{os.getpid()}")
    try:
        # Only the owner may read it: it holds password hashes and private entries.
        os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        rows = _copy(source, partial)
        if force:
            os.replace(partial, target)
        else:
            os.link(partial, target)  # fails if PATH appeared meanwhile: never overwrite
    except FileExistsError:
        raise BackupError(f"{target} appeared while backing up; it was left alone.") from None
    finally:
        partial.unlink(missing_ok=True)
    return Backup(path=target, size_bytes=target.stat().st_size, rows=rows)


def _copy(source: Path, destination: Path) -> dict[str, int]:
    """Copy ``source`` to ``destination`` online, check it, and count its rows per table."""
    # mode=rw: a missing source must fail, not be created empty.
    source_uri = source.resolve().as_uri() + "?mode=rw"
    with (
        closing(sqlite3.connect(source_uri, uri=True, timeout=30)) as reader,
        closing(sqlite3.connect(destination)) as copy,
    ):
        reader.backup(copy)  # pages=-1: the whole database in one step, one read snapshot
        # The copy inherits WAL mode; a backup should be one self-contained file.
        copy.execute("PRAGMA journal_mode = DELETE")
        problems = [row[0] for row in copy.execute("PRAGMA integrity_check")]
        if problems != ["ok"]:
            raise BackupError("The copy failed its integrity check: " + "; ".join(problems[:5]))
        return _row_counts(copy)


def _row_counts(connection: sqlite3.Connection) -> dict[str, int]:
    names = [
        row[0]
        for row in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name"
        )
    ]
    counts = {}
    for name in names:
        quoted = '"' + name.replace('"', '""') + '"'
        # The table names come from the copy's own catalogue and are quoted as identifiers.
        query = f"SELECT count(*) FROM {quoted}"  # noqa: S608  # nosec B608  # quoted name
        counts[name] = connection.execute(query).fetchone()[0]
    return counts


def _not_sqlite_message(url: URL) -> str:
    if url.get_backend_name() != "postgresql":
        return f"learnapp backs up SQLite databases only; this one is {url.get_backend_name()}."
    libpq_url = URL.create(
        "postgresql", username=url.username, host=url.host, port=url.port, database=url.database
    ).render_as_string()
    return (
        "This database is PostgreSQL: back it up with PostgreSQL's own tool, pg_dump, e.g.\n"
        f"  pg_dump --format=custom --file=learnapp.dump '{libpq_url}'\n"
        "and restore it with pg_restore (see README.md, Running in production)."
    )
