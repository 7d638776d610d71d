"""Rate-limit counters in the app's own database: a storage for the ``limits`` library.

``RATELIMIT_STORAGE_URL = database://`` (the default) keeps the counters of sign-in limits
in the ``rate_limit_counters`` table of ``DATABASE_URL``, so every worker of a machine, and
every server sharing one PostgreSQL database, counts against one budget with nothing extra
to run. Each change is one atomic statement, ``INSERT … ON CONFLICT … DO UPDATE SET hits =
hits + 1 … RETURNING hits`` (SQLite 3.35+ and PostgreSQL): a read-modify-write would lose
updates under concurrency (DESIGN.md §8).

Sliding windows use one row per limit and window number (``key/<n>``), so a row is never
reused across windows; rows past their expiry are deleted as counting goes on, so the table
holds only the windows still in force.

Counters are written on a connection of their own and committed at once: call them before
the request's session holds SQLite's write lock (a POST's first query takes it), or the
counter waits for the request itself until the busy timeout.
"""

from __future__ import annotations

import math
import time
from typing import Any

from limits.storage import Storage
from limits.storage.base import SlidingWindowCounterSupport, TimestampedSlidingWindow
from sqlalchemy import Connection, Engine, Float, Integer, String, case, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Mapped, mapped_column

from learnapp.extensions import db

SCHEME = "database"


class RateLimitCounter(db.Model):
    """One counter of one limit (and window), and when it stops counting."""

    __tablename__ = "rate_limit_counters"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    hits: Mapped[int] = mapped_column(Integer)
    # Seconds since the epoch, as the ``limits`` library counts time.
    expires_at: Mapped[float] = mapped_column(Float, index=True)


TABLE = RateLimitCounter.__table__


class DatabaseStorage(Storage, SlidingWindowCounterSupport, TimestampedSlidingWindow):
    """The ``limits`` storage of ``database://``: counters in the app's database.

    Built with ``engine=``, the app's SQLAlchemy engine (``storage_from_string`` passes it
    through as an option).
    """

    STORAGE_SCHEME = [SCHEME]

    def __init__(
        self, uri: str | None = None, wrap_exceptions: bool = False, **options: Any
    ) -> None:
        self.engine: Engine = options["engine"]
        super().__init__(uri, wrap_exceptions=wrap_exceptions)

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return SQLAlchemyError

    def _upsert(self, connection: Connection, key: str, amount: int, expires_at: float) -> int:
        """Add ``amount`` to ``key``'s counter, starting it anew when expired; its new value."""
        now = time.time()
        dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
        expired = TABLE.c.expires_at <= now
        statement = (
            dialect.insert(TABLE)
            .values(key=key, hits=amount, expires_at=expires_at)
            .on_conflict_do_update(
                index_elements=[TABLE.c.key],
                set_={
                    "hits": case((expired, amount), else_=TABLE.c.hits + amount),
                    "expires_at": case((expired, expires_at), else_=TABLE.c.expires_at),
                },
            )
            .returning(TABLE.c.hits)
        )
        return int(connection.execute(statement).scalar_one())

    def _live(self, connection: Connection, key: str) -> tuple[int, float]:
        """``key``'s count and expiry; (0, now) when it has none or it has expired."""
        now = time.time()
        row = connection.execute(
            select(TABLE.c.hits, TABLE.c.expires_at).where(
                TABLE.c.key == key, TABLE.c.expires_at > now
            )
        ).first()
        return (int(row.hits), float(row.expires_at)) if row else (0, now)

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        with self.engine.begin() as connection:
            return self._upsert(connection, key, amount, time.time() + expiry)

    def get(self, key: str) -> int:
        with self.engine.begin() as connection:
            return self._live(connection, key)[0]

    def get_expiry(self, key: str) -> float:
        with self.engine.begin() as connection:
            return self._live(connection, key)[1]

    def check(self) -> bool:
        try:
            with self.engine.connect() as connection:
                connection.execute(select(1))
        except SQLAlchemyError:
            return False
        return True

    def reset(self) -> int | None:
        with self.engine.begin() as connection:
            return connection.execute(delete(TABLE)).rowcount

    def clear(self, key: str) -> None:
        with self.engine.begin() as connection:
            connection.execute(delete(TABLE).where(TABLE.c.key == key))

    def acquire_sliding_window_entry(
        self, key: str, limit: int, expiry: int, amount: int = 1
    ) -> bool:
        if amount > limit:
            return False
        now = time.time()
        previous_key, current_key = self.sliding_window_keys(key, expiry, now)
        # A window's counter is read while it is the current one and the one after it.
        current_ends = (math.floor(now / expiry) + 2) * expiry
        with self.engine.begin() as connection:
            # Cleaning as we go: one indexed delete of what no window needs any more.
            connection.execute(delete(TABLE).where(TABLE.c.expires_at <= now))
            current = self._upsert(connection, current_key, amount, current_ends)
            previous = self._live(connection, previous_key)[0]
            weighted = previous * _previous_weight(now, expiry) + current
            if math.floor(weighted) <= limit:
                return True
            # Over the limit: take this hit back. The row stays locked by the upsert until
            # commit (PostgreSQL) or the whole database is (SQLite), so no other hit slips in.
            self._upsert(connection, current_key, -amount, current_ends)
            return False

    def get_sliding_window(self, key: str, expiry: int) -> tuple[int, float, int, float]:
        now = time.time()
        previous_key, current_key = self.sliding_window_keys(key, expiry, now)
        with self.engine.begin() as connection:
            previous = self._live(connection, previous_key)[0]
            current = self._live(connection, current_key)[0]
        previous_ttl = _previous_weight(now, expiry) * expiry if previous else 0.0
        current_ttl = (1 - (now / expiry) % 1) * expiry + expiry
        return previous, previous_ttl, current, current_ttl

    def clear_sliding_window(self, key: str, expiry: int) -> None:
        now = time.time()
        with self.engine.begin() as connection:
            connection.execute(
                delete(TABLE).where(TABLE.c.key.in_(self.sliding_window_keys(key, expiry, now)))
            )


def _previous_weight(now: float, expiry: int) -> float:
    """How much of the previous window still counts: the share of the current window left."""
    return 1 - (now / expiry) % 1
