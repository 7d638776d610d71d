"""A whole-page cache for signed-in reads, kept exact by a data generation.

Reads far outnumber writes in a team app, and a page (the feed, an incident, the backlog)
costs ten to fifty times more to query and render than to send. A view decorated with
``@cached_page`` keeps its rendered page in this process's memory, under a key made of:

- the **data generation**: a counter in the database (``data_generation``) that every
  transaction which writes anything through the app's session raises as it commits, in the
  same transaction. Any write by anyone, in any process, changes it, so a page is never
  served after the data under it changed; the counter is read first in each request, so
  what is rendered is at least as new as the generation it is stored under;
- its **age**: pages say "3 hours ago", "overdue" and "this week", so a page is kept at
  most ``PAGE_CACHE_SECONDS`` even when nothing was written (each page from its own
  rendering, so they do not all expire, and render again, at once);
- the **session**: the signed-in identity (with its session version) and the session's
  CSRF secret, so a page (and the tokens in it) only ever goes back to the session that
  it was rendered for;
- the **request**: path and query, and the htmx headers that choose a fragment.

A page is rendered by one thread of a process at a time (the others wait for it, or keep
getting the kept copy while it is rendered anew near the end of its life): a page that
expires under load costs one rendering, not one per thread.

Values that must differ on every response (the idempotency key of a form, from
``fresh_per_response``) are cut out of the stored page and filled in anew each time it is
served. Pages rendered with flashed messages, pages that changed the session and answers
other than 200 are not kept. ``PAGE_CACHE_SECONDS = 0`` turns the cache off.

Writes that bypass the app's session (a bulk load straight through the engine) do not raise
the generation: pages are then at most ``PAGE_CACHE_SECONDS`` old.
"""

from __future__ import annotations

import functools
import re
import threading
import time
import uuid
import weakref
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import Flask, current_app, g, has_request_context, make_response, request, session
from flask.typing import ResponseReturnValue
from sqlalchemy import Connection, Engine, event, inspect, text
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from learnapp.extensions import db

EXTENSION = "learnapp.pagecache"
WROTE = "learnapp.pagecache.wrote"
CONNECTIONS = "learnapp.pagecache.connections"
_ENGINES_WITH_GENERATION: weakref.WeakSet[Engine] = weakref.WeakSet()
MAX_BODY_BYTES = 512 * 1024
# Session values a page may set without depending on them: Flask-WTF's CSRF secret and
# Flask-Login's freshness and session identifier.
BOOKKEEPING_SESSION_KEYS = frozenset({"csrf_token", "_fresh", "_id"})

data_generation = db.Table(
    "data_generation",
    db.Column("id", db.Integer, primary_key=True, autoincrement=False),
    db.Column("value", db.BigInteger, nullable=False),
)

# One row, created by the first write; an upsert, so emptied tables need no seeding.
RAISE_GENERATION = text(
    "INSERT INTO data_generation (id, value) VALUES (1, 1) "
    "ON CONFLICT (id) DO UPDATE SET value = data_generation.value + 1"
)
READ_GENERATION = text("SELECT value FROM data_generation WHERE id = 1")

# Statements that change nothing; anything else (DML, DDL) counts as a write.
_READS = re.compile(r"\s*(SELECT|BEGIN|PRAGMA|SAVEPOINT|RELEASE|ROLLBACK|SHOW|SET|EXPLAIN)\b", re.I)
_WRITE_IN_WITH = re.compile(r"\b(INSERT|UPDATE|DELETE)\b", re.I)

View = TypeVar("View", bound=Callable[..., ResponseReturnValue])


def is_write(statement: str) -> bool:
    """Whether the SQL ``statement`` may change data."""
    if _READS.match(statement):
        return False
    if statement.lstrip()[:4].upper() == "WITH":
        return bool(_WRITE_IN_WITH.search(statement))
    return True


def fresh_per_response(value: str) -> str:
    """Mark ``value`` (a form's one-time key) as one a cached page must not repeat."""
    if has_request_context():
        g.setdefault("page_cache_holes", []).append(value)
    return value


@dataclass(frozen=True)
class StoredPage:
    """A rendered page with holes where per-response values go."""

    made_at: float  # clock() when rendered
    status: int
    headers: tuple[tuple[str, str], ...]
    segments: tuple[str, ...]  # text between holes: one more than the holes
    holes: tuple[int, ...]  # which fresh value goes into each hole

    @classmethod
    def cut(cls, response: Response, fresh_values: list[str]) -> StoredPage:
        body = response.get_data(as_text=True)
        segments: list[str] = []
        holes: list[int] = []
        if fresh_values:
            index = {value: i for i, value in enumerate(dict.fromkeys(fresh_values))}
            pattern = re.compile("|".join(re.escape(value) for value in index))
            start = 0
            for match in pattern.finditer(body):
                segments.append(body[start : match.start()])
                holes.append(index[match.group()])
                start = match.end()
            segments.append(body[start:])
        else:
            segments.append(body)
        headers = tuple((k, v) for k, v in response.headers.items() if k.lower() != "set-cookie")
        return cls(clock(), response.status_code, headers, tuple(segments), tuple(holes))

    def response(self) -> Response:
        """The page again, each hole filled with a value never sent before."""
        fresh = [str(uuid.uuid4()) for _ in range(max(self.holes, default=-1) + 1)]
        parts = [self.segments[0]]
        for hole, segment in zip(self.holes, self.segments[1:], strict=True):
            parts += [fresh[hole], segment]
        response = Response("".join(parts), self.status)
        response.headers.clear()
        response.headers.extend(self.headers)
        response.headers["Content-Length"] = str(len(response.get_data()))
        return response


class PageCache:
    """A bounded, thread-safe LRU of stored pages (one per worker process).

    A page is rendered by one thread at a time: a thread that finds no page while another
    renders it waits for that page instead of rendering it too, and a page near the end of
    its life (``REFRESH_SHARE`` of it gone) is rendered anew by the first request that
    sees it, while the others are still served the one kept. Under load, a page that
    expires then costs one rendering and one slower answer, not one per thread.
    """

    REFRESH_SHARE = 0.9
    WAIT_SECONDS = 5.0  # then a waiting thread renders the page itself

    def __init__(self, seconds: int, entries: int) -> None:
        self.seconds = seconds
        self.entries = entries
        self._pages: OrderedDict[tuple, StoredPage] = OrderedDict()
        self._rendering: dict[tuple, threading.Event] = {}
        self._lock = threading.Lock()

    def get(self, key: tuple) -> StoredPage | None:
        """The page kept under ``key`` if it is younger than ``seconds``."""
        with self._lock:
            return self._kept(key)

    def lookup(self, key: tuple) -> tuple[StoredPage | None, threading.Event | None]:
        """The page to serve for ``key``, and this thread's turn to render it.

        ``(page, None)``: serve it. ``(page, turn)`` or ``(None, turn)``: render the page
        (it is nearly due, or missing) and call ``done(key, turn)`` afterwards. A thread
        that finds the page missing while another renders it waits for that rendering;
        ``(None, None)`` means it rendered nothing this thread could use.
        """
        with self._lock:
            page = self._kept(key)
            due = page is None or clock() - page.made_at >= self.seconds * self.REFRESH_SHARE
            if not due:
                return page, None
            other = self._rendering.get(key)
            if other is None:
                turn = self._rendering[key] = threading.Event()
                return page, turn
            if page is not None:
                return page, None  # another thread is rendering it anew
        other.wait(self.WAIT_SECONDS)
        return self.get(key), None

    def done(self, key: tuple, turn: threading.Event) -> None:
        """This thread's rendering for ``key`` is over (kept or not): wake the waiting."""
        with self._lock:
            if self._rendering.get(key) is turn:
                del self._rendering[key]
        turn.set()

    def put(self, key: tuple, page: StoredPage) -> None:
        with self._lock:
            self._pages[key] = page
            self._pages.move_to_end(key)
            while len(self._pages) > self.entries:
                self._pages.popitem(last=False)

    def _kept(self, key: tuple) -> StoredPage | None:
        page = self._pages.get(key)
        if page is None:
            return None
        if clock() - page.made_at >= self.seconds:
            del self._pages[key]
            return None
        self._pages.move_to_end(key)
        return page


def clock() -> float:
    """Seconds since the epoch (a function of its own, for tests to move)."""
    return time.time()


def current_generation() -> int:
    """The data generation as this request's transaction sees it."""
    return int(db.session.scalar(READ_GENERATION) or 0)


def is_cacheable_request() -> bool:
    """Whether this request's page may come from, or go to, the cache."""
    return request.method == "GET" and "_flashes" not in session and "_user_id" in session


def _request_key(generation: int) -> tuple:
    """This request's cache key at ``generation``, with the session's current CSRF secret."""
    htmx = tuple(sorted((k, v) for k, v in request.headers.items() if k.lower().startswith("hx-")))
    return (
        generation,
        session.get("_user_id"),
        session.get("csrf_token"),
        request.full_path,
        htmx,
    )


def cached_page(view: View) -> View:
    """Serve the view's page from the cache while no data has changed, for a minute at most.

    Goes above ``@login_required``. A page is stored only after the view, signed-in check
    included, answered 200 for this session's identity, and is served only while the data
    generation is unchanged: signing out elsewhere, a password change or a deactivation are
    writes, so they end every cached page of that identity as they end its sessions.
    """

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> ResponseReturnValue:
        cache: PageCache | None = current_app.extensions.get(EXTENSION)
        if cache is None or not is_cacheable_request():
            return view(*args, **kwargs)
        generation = current_generation()
        key = _request_key(generation)
        stored, turn = cache.lookup(key)
        if stored is not None and turn is None:
            response = stored.response()
            response.headers["X-Page-Cache"] = "hit"
            return response
        try:
            g.page_cache_holes = []
            session_before = dict(session)
            response = make_response(view(*args, **kwargs))
            if _keepable(response, session_before):
                # Keyed after the view: the first form of a session makes its CSRF secret.
                cache.put(_request_key(generation), StoredPage.cut(response, g.page_cache_holes))
        finally:
            if turn is not None:
                cache.done(key, turn)
        response.headers["X-Page-Cache"] = "miss"
        return response

    return wrapper  # type: ignore[return-value]


def _keepable(response: Response, session_before: dict[str, Any]) -> bool:
    changed = {
        k for k in session_before.keys() | session.keys() if session_before.get(k) != session.get(k)
    }
    return (
        response.status_code == 200
        and not response.is_streamed
        and changed <= BOOKKEEPING_SESSION_KEYS
        and "Set-Cookie" not in response.headers
        and response.content_length is not None
        and response.content_length <= MAX_BODY_BYTES
    )


def _note_writes(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
    if not _conn.info.get(WROTE) and is_write(statement):
        _conn.info[WROTE] = True


def _forget_writes(conn: Any) -> None:
    conn.info.pop(WROTE, None)


def _remember_connection(session_: Session, _transaction: Any, connection: Connection) -> None:
    session_.info.setdefault(CONNECTIONS, []).append(connection)


def _forget_connections(session_: Session, transaction: Any) -> None:
    if transaction.parent is None:
        session_.info.pop(CONNECTIONS, None)


def _raise_generation_before_commit(session_: Session) -> None:
    # Commit flushes pending changes only after this hook: flush first to see them.
    session_.flush()
    for connection in session_.info.get(CONNECTIONS, ()):
        if connection.info.get(WROTE) and _has_generation_table(connection):
            connection.execute(RAISE_GENERATION)


def _has_generation_table(connection: Connection) -> bool:
    # A database not yet migrated to 0007 (a migration test, an upgrade in progress) has
    # no counter to raise. Once seen, the table is taken to stay.
    if connection.engine not in _ENGINES_WITH_GENERATION:
        if not inspect(connection).has_table("data_generation"):
            return False
        _ENGINES_WITH_GENERATION.add(connection.engine)
    return True


def init_app(app: Flask) -> None:
    """Create this process's page cache and raise the generation on every write."""
    seconds = int(app.config["PAGE_CACHE_SECONDS"])
    if seconds > 0:
        app.extensions[EXTENSION] = PageCache(seconds, int(app.config["PAGE_CACHE_ENTRIES"]))
    with app.app_context():
        engine = db.engine
    # The generation is raised whether or not this app caches: other processes may.
    if not event.contains(engine, "before_cursor_execute", _note_writes):
        event.listen(engine, "before_cursor_execute", _note_writes)
        event.listen(engine, "commit", _forget_writes)
        event.listen(engine, "rollback", _forget_writes)
    if not event.contains(Session, "before_commit", _raise_generation_before_commit):
        event.listen(Session, "after_begin", _remember_connection)
        event.listen(Session, "after_transaction_end", _forget_connections)
        event.listen(Session, "before_commit", _raise_generation_before_commit)
