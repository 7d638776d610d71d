"""PostgreSQL runs requests side by side where SQLite queues writers: races must still save.

Each test holds a second transaction open, as a simultaneous request would, lets the app's
request run into it, then commits, so the race happens every time, not by luck.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import psycopg
import pytest
from flask import Flask
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from learnapp.extensions import db
from learnapp.models import Entry, Tag
from tests.conftest import Client
from tests.databases import libpq

pytestmark = pytest.mark.postgres_only("SQLite's BEGIN IMMEDIATE queues these writes instead")


@pytest.fixture
def other_request(app: Flask) -> Iterator[psycopg.Connection]:
    """Another connection to the test's database, in a transaction of its own."""
    with psycopg.connect(libpq(app.config["SQLALCHEMY_DATABASE_URI"])) as connection:
        yield connection


def post_into_the_race(
    client: Client,
    other: psycopg.Connection,
    data: dict[str, str],
    meanwhile: Callable[[], object] = lambda: None,
) -> TestResponse:
    """POST /entries while ``other`` holds its uncommitted rows; once the request waits on
    them (a row lock), run ``meanwhile``, commit them, and return the response."""
    data = {"csrf_token": client.csrf_token(), **data}
    with (
        ThreadPoolExecutor(1) as pool,
        psycopg.connect(libpq(db.engine.url.render_as_string(False)), autocommit=True) as watcher,
    ):
        pending = pool.submit(client.raw.post, "/entries", data=data)
        deadline = time.monotonic() + 10
        while not _someone_waits_on_a_lock(watcher):
            assert time.monotonic() < deadline, "the request never waited on the other's rows"
            assert not pending.done(), pending.result().text[:500]
            time.sleep(0.02)
        meanwhile()
        other.commit()
        return pending.result(timeout=10)


def _someone_waits_on_a_lock(watcher: psycopg.Connection) -> bool:
    row = watcher.execute(
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE datname = current_database() AND wait_event_type = 'Lock'"
    ).fetchone()
    return bool(row and row[0])


def test_two_requests_adding_the_same_new_tag_both_save(
    client: Client, author: Any, other_request: psycopg.Connection
) -> None:
    client.login_as(author)
    other_request.execute("INSERT INTO tags (name) VALUES ('flaky-ci')")

    response = post_into_the_race(client, other_request, {"title": "CI", "tags": "flaky-ci"})

    assert response.status_code == 303
    db.session.commit()
    entry = db.session.scalar(select(Entry))
    assert [tag.name for tag in entry.tags] == ["flaky-ci"]
    assert db.session.scalar(select(func.count(Tag.id))) == 1


def test_requests_adding_the_same_new_tags_in_other_orders_never_deadlock(
    client: Client, author: Any, other_request: psycopg.Connection
) -> None:
    """The other request adds "alpha" then "zulu"; ours was typed "zulu, alpha". Had ours
    taken "zulu" first, each would wait for the other's name: PostgreSQL's deadlock."""
    client.login_as(author)
    other_request.execute("INSERT INTO tags (name) VALUES ('alpha')")

    response = post_into_the_race(
        client,
        other_request,
        {"title": "Order", "tags": "zulu, alpha"},
        meanwhile=lambda: other_request.execute("INSERT INTO tags (name) VALUES ('zulu')"),
    )

    assert response.status_code == 303
    db.session.commit()
    assert sorted(db.session.scalars(select(Tag.name))) == ["alpha", "zulu"]


def test_a_resent_form_racing_the_first_copy_saves_one_entry(
    client: Client, author: Any, other_request: psycopg.Connection
) -> None:
    client.login_as(author)
    other_request.execute(
        "INSERT INTO entries (kind, title, what_happened, what_we_learned, what_we_will_change,"
        " author_id, visibility, anonymous, idempotency_key, created_at, updated_at)"
        " VALUES ('lesson', 'First copy', '', '', '', %s, 'org', false, 'double-click-1',"
        " now(), now())",
        (author.id,),
    )

    response = post_into_the_race(
        client, other_request, {"title": "Second copy", "idempotency_key": "double-click-1"}
    )

    assert response.status_code == 303
    db.session.commit()
    assert db.session.scalars(select(Entry.title)).all() == ["First copy"]
