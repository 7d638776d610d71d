"""The page cache: a page is served again only while nothing was written, for a minute at
most, only to the session it was rendered for, and never with a form's one-time key."""

from __future__ import annotations

import re
import threading
import time

import pytest
from sqlalchemy import func, select

from learnapp import pagecache
from learnapp.extensions import db
from learnapp.models import Entry, User
from tests.conftest import CSRF_PATTERN, make_app

KEY = re.compile(r'name="idempotency_key" type="hidden" value="([^"]+)"')


def keys(html: str) -> list[str]:
    return KEY.findall(html)


@pytest.fixture
def reader(client, author):
    return client.login_as(author)


def without_keys(html: str) -> str:
    return KEY.sub("", html)


def test_a_second_read_is_served_from_the_cache_with_fresh_form_keys(reader, make_entry, author):
    make_entry(author, title="Flaky deploy script")
    first = reader.get("/")
    second = reader.get("/")
    assert first.headers["X-Page-Cache"] == "miss"
    assert second.headers["X-Page-Cache"] == "hit"
    assert without_keys(second.text) == without_keys(first.text)
    assert "Flaky deploy script" in second.text
    assert keys(first.text) and keys(second.text)
    assert set(keys(first.text)).isdisjoint(keys(second.text)), "a key is never sent twice"


def test_two_tabs_of_a_cached_page_create_two_entries(reader):
    tabs = [reader.get("/"), reader.get("/")]
    assert tabs[1].headers["X-Page-Cache"] == "hit"
    for n, tab in enumerate(tabs):
        answer = reader.post(
            "/entries", {"title": f"Tab {n}", "idempotency_key": keys(tab.text)[0]}
        )
        assert answer.status_code == 303
    assert db.session.scalar(select(func.count(Entry.id))) == 2


@pytest.mark.parametrize("writer", ["the reader", "someone else"])
def test_a_write_through_the_app_is_seen_at_once(reader, new_client, make_user, writer):
    reader.get("/")
    assert reader.get("/").headers["X-Page-Cache"] == "hit"
    if writer == "someone else":
        writer_client = new_client().login_as(make_user("Grace"))
    else:
        writer_client = reader
    answer = writer_client.post("/entries", {"title": f"Written by {writer}"}, htmx=True)
    assert answer.status_code == 200
    page = reader.get("/")
    assert page.headers["X-Page-Cache"] == "miss"
    assert f"Written by {writer}" in page.text


def test_a_write_outside_a_request_is_seen_at_once(reader, make_entry, author):
    reader.get("/")
    entry = make_entry(author, title="Old title")
    assert "Old title" in reader.get("/").text
    entry.title = "New title"  # committed by the next request's client, like any test write
    page = reader.get("/")
    assert page.headers["X-Page-Cache"] == "miss"
    assert "New title" in page.text and "Old title" not in page.text


def test_a_refused_write_leaves_the_cache_alone(reader):
    reader.get("/")
    assert reader.post("/entries", {"title": ""}).status_code == 422
    assert reader.get("/").headers["X-Page-Cache"] == "hit"


def test_pages_are_kept_per_session_so_each_carries_its_own_csrf_token(reader, new_client, author):
    reader.get("/")
    other_session = new_client().login_as(author)
    page = other_session.get("/")
    assert page.headers["X-Page-Cache"] == "miss"
    token = CSRF_PATTERN.search(page.text).group(1)
    answer = other_session.post("/entries", {"title": "From tab two", "csrf_token": token})
    assert answer.status_code == 303
    assert db.session.scalar(select(Entry.title)) == "From tab two"


def test_fragment_and_page_are_kept_apart(reader):
    page = reader.get("/")
    fragment = reader.get("/", htmx=True)
    assert fragment.headers["X-Page-Cache"] == "miss"
    assert "<html" in page.text and "<html" not in fragment.text
    assert "<html" not in reader.get("/", htmx=True).text


def test_a_page_with_a_message_is_not_kept(reader):
    reader.post("/entries", {"title": "Shown with a thank-you"})
    with_message = reader.get("/")
    assert "Saved. Thank you for sharing" in with_message.text
    assert "X-Page-Cache" not in with_message.headers
    assert "Saved. Thank you for sharing" not in reader.get("/").text


def test_a_deactivated_account_gets_no_cached_page(reader, author):
    reader.get("/")
    user = db.session.get(User, author.id)
    user.is_active_account = False
    response = reader.get("/")
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/login")


def test_signed_out_visitors_are_never_served_a_page(reader, new_client):
    reader.get("/")
    assert new_client().get("/").status_code == 303


def test_each_page_is_kept_at_most_a_minute_from_its_own_rendering(reader, monkeypatch):
    now = [time.time()]
    monkeypatch.setattr(pagecache, "clock", lambda: now[0])
    assert reader.get("/").headers["X-Page-Cache"] == "miss"
    now[0] += 30
    assert reader.get("/me").headers["X-Page-Cache"] == "miss"
    assert reader.get("/").headers["X-Page-Cache"] == "hit"
    now[0] += 31
    assert reader.get("/").headers["X-Page-Cache"] == "miss"
    assert reader.get("/me").headers["X-Page-Cache"] == "hit", "not all pages expire at once"


@pytest.mark.parametrize(
    "url",
    ["/improvements", "/celebrate", "/search?q=deploy", "/narratives", "/narratives.atom", "/me"],
)
def test_other_read_pages_are_cached_too(reader, url):
    assert reader.get(url).headers["X-Page-Cache"] == "miss"
    again = reader.get(url)
    assert again.status_code == 200
    assert again.headers["X-Page-Cache"] == "hit"


def test_a_hit_carries_the_same_headers_as_a_miss(reader):
    miss = reader.get("/")
    hit = reader.get("/")
    own = ("X-Page-Cache", "Set-Cookie")
    assert {n for n, _ in miss.headers.items() if n not in own} == {
        n for n, _ in hit.headers.items() if n not in own
    }
    for name in ("Content-Security-Policy", "Vary", "Cache-Control", "Content-Type"):
        assert hit.headers.get_all(name) == miss.headers.get_all(name)


def test_the_cache_keeps_only_so_many_pages(app, reader):
    app.extensions[pagecache.EXTENSION] = cache = pagecache.PageCache(seconds=60, entries=2)
    for url in ("/", "/me", "/celebrate", "/"):
        reader.get(url)
    assert len(cache._pages) == 2
    assert reader.get("/").headers["X-Page-Cache"] == "hit"
    assert reader.get("/me").headers["X-Page-Cache"] == "miss", "the oldest went first"


def test_a_cache_of_zero_seconds_is_off(database_url):
    other = make_app(database_url, PAGE_CACHE_SECONDS=0)
    try:
        assert pagecache.EXTENSION not in other.extensions
    finally:
        with other.app_context():
            db.engine.dispose()


@pytest.mark.parametrize(
    ("statement", "writes"),
    [
        ("SELECT 1", False),
        ("  select * from entries", False),
        ("BEGIN IMMEDIATE", False),
        ("PRAGMA foreign_keys = ON", False),
        ("INSERT INTO entries VALUES (1)", True),
        ("UPDATE improvements SET status = 'done'", True),
        ("DELETE FROM cheers", True),
        ("WITH old AS (SELECT 1) SELECT * FROM old", False),
        ("WITH old AS (SELECT 1) DELETE FROM cheers", True),
        ("CREATE TABLE t (id INTEGER)", True),
    ],
)
def test_which_statements_count_as_writes(statement, writes):
    assert pagecache.is_write(statement) is writes


def test_every_committed_write_raises_the_generation_once(app, make_user):
    before = pagecache.current_generation()
    make_user("Mo")
    db.session.commit()  # nothing written: no change
    assert pagecache.current_generation() == before + 1


# --- One rendering per page at a time ----------------------------------------------------------


def stored_page(made_at: float) -> pagecache.StoredPage:
    return pagecache.StoredPage(made_at, 200, (), ("<p>page</p>",), ())


@pytest.fixture
def now(monkeypatch) -> list[float]:
    """The page cache's clock, moved by the test."""
    moment = [1_000_000.0]
    monkeypatch.setattr(pagecache, "clock", lambda: moment[0])
    return moment


def test_a_missing_page_is_rendered_once_while_other_threads_wait_for_it(now):
    cache = pagecache.PageCache(seconds=60, entries=10)
    page, turn = cache.lookup(("k",))
    assert page is None and turn is not None, "the first thread renders"
    answers: list[tuple] = []
    waiting = threading.Thread(target=lambda: answers.append(cache.lookup(("k",))))
    waiting.start()
    waiting.join(0.2)
    assert waiting.is_alive() and not answers, "the second thread waits for the first"
    cache.put(("k",), stored_page(now[0]))
    cache.done(("k",), turn)
    waiting.join(5)
    assert answers == [(cache.get(("k",)), None)], "and is served what the first rendered"


def test_a_rendering_that_kept_nothing_lets_the_next_request_render(now, monkeypatch):
    cache = pagecache.PageCache(seconds=60, entries=10)
    _, turn = cache.lookup(("k",))
    monkeypatch.setattr(cache, "WAIT_SECONDS", 0.05)
    assert cache.lookup(("k",)) == (None, None), "a waiter gives up and renders itself"
    cache.done(("k",), turn)  # the page was not keepable
    page, again = cache.lookup(("k",))
    assert page is None and again is not None and again is not turn


def test_a_page_near_the_end_of_its_life_is_rendered_anew_by_one_request(now):
    cache = pagecache.PageCache(seconds=60, entries=10)
    first = stored_page(now[0])
    cache.put(("k",), first)
    now[0] += 53
    assert cache.lookup(("k",)) == (first, None)
    now[0] += 2  # 55 s: over 90% of its life
    page, turn = cache.lookup(("k",))
    assert page is first and turn is not None, "this request renders it anew"
    assert cache.lookup(("k",)) == (first, None), "the others keep getting the kept page"
    renewed = stored_page(now[0])
    cache.put(("k",), renewed)
    cache.done(("k",), turn)
    now[0] += 10  # 65 s after the first rendering, 10 s after the second
    assert cache.lookup(("k",)) == (renewed, None)


def test_a_view_that_fails_gives_up_its_turn_to_render(app, reader, monkeypatch):
    cache = app.extensions[pagecache.EXTENSION]
    monkeypatch.setattr(pagecache, "make_response", lambda _: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        reader.get("/me")
    assert cache._rendering == {}, "no thread is left waiting for a rendering that failed"
    monkeypatch.undo()
    assert reader.get("/me").headers["X-Page-Cache"] == "miss"
