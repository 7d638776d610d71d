"""Short-lived copies of what every reader sees alike: the small lists that forms offer on
many pages (the teams, the active people) and the organisation-wide count of open
improvements (``learnapp.improvements.figures``).

Each app keeps its copy for ``TTL_SECONDS`` in each process. Any write through the ORM in
the process forgets its copies at once (simpler and safer than knowing which tables feed
them); another process may show a team, a person or a count from elsewhere up to
``TTL_SECONDS`` late. A request that may write (a POST) always reads afresh, so a form is
validated against the database itself: the copies only ever shape what a page shows or
offers, never what a change may do.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import cached_property
from typing import Any, NamedTuple, TypeVar

from flask import Flask, current_app, has_app_context, has_request_context, request
from sqlalchemy import event, select
from sqlalchemy.orm import Session
from wtforms.fields.choices import SelectChoice

from learnapp.database import SAFE_METHODS
from learnapp.extensions import db
from learnapp.models import Team, User

TTL_SECONDS = 10.0
EXTENSION = "learnapp.choices"
Value = TypeVar("Value")


class Person(NamedTuple):
    """Who a select offers: enough to show and submit, without loading the account."""

    id: int
    display_name: str


class People(list[Person]):
    """People, with their select options made once per copy (200 options cost 1-2 ms)."""

    @cached_property
    def options(self) -> list[SelectChoice]:
        return [SelectChoice(p.id, p.display_name) for p in self]

    @cached_property
    def text_options(self) -> list[SelectChoice]:
        """The same with the ids as text (for GET filters, whose values are strings)."""
        return [SelectChoice(str(p.id), p.display_name) for p in self]


def cached(name: str, compute: Callable[[], Value]) -> Value:
    """The app's copy of ``name``, computed again when older than ``TTL_SECONDS`` (and
    always for a request that may write)."""
    store: dict[str, tuple[float, Any]] = current_app.extensions.setdefault(EXTENSION, {})
    now = time.monotonic()
    kept = store.get(name)
    reads_only = not has_request_context() or request.method in SAFE_METHODS
    if kept is not None and kept[0] > now and reads_only:
        return kept[1]
    value = compute()
    store[name] = (now + TTL_SECONDS, value)
    return value


def teams() -> list[tuple[int, str]]:
    """Every team as (id, name), by name."""
    query = select(Team.id, Team.name).order_by(Team.name)
    return cached("teams", lambda: [(row.id, row.name) for row in db.session.execute(query)])


def active_people() -> People:
    """Everyone who can sign in, by name."""
    query = (
        select(User.id, User.display_name)
        .where(User.is_active_account.is_(True))
        .order_by(User.display_name, User.id)
    )
    return cached("people", lambda: People(Person(*row) for row in db.session.execute(query)))


def _forget_on_change(_session: Session, _context: Any) -> None:
    if has_app_context():
        current_app.extensions.pop(EXTENSION, None)


def init_app(app: Flask) -> None:
    """Forget the copies whenever this process writes anything through the ORM."""
    if not event.contains(Session, "after_flush", _forget_on_change):
        event.listen(Session, "after_flush", _forget_on_change)
