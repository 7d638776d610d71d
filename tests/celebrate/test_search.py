"""Search: ranked, visibility respected, highlighted safely, kept in step with edits and
deletes; and related lessons on the entry page."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from learnapp.extensions import db
from learnapp.models import Visibility
from learnapp.search.highlight import highlight, snippet
from learnapp.search.index import rebuild, terms_of
from learnapp.tags import tags_named


def found(html: str) -> list[str]:
    return [re.sub("<[^>]+>", "", t) for t in re.findall(r'<li>\s*<a href="[^"]+">(.+?)</a>', html)]


@pytest.fixture
def lessons(people, make_entry):
    author = people["author"]
    return {
        "title": make_entry(author, title="Stale cache after deploy"),
        "body": make_entry(author, title="Slow pages", what_happened="the cache was cold"),
        "private": make_entry(author, title="Private cache secret", visibility=Visibility.PRIVATE),
        "team": make_entry(author, title="Team cache note", visibility=Visibility.TEAM),
        "other": make_entry(author, title="Unrelated"),
    }


def test_search_ranks_title_matches_first_and_respects_visibility(new_client, people, lessons):
    teammate = new_client().login_as(people["teammate"]).get("/search?q=cache").text
    assert found(teammate)[:1] in (["Stale cache after deploy"], ["Team cache note"])
    assert set(found(teammate)) == {"Stale cache after deploy", "Slow pages", "Team cache note"}
    assert found(teammate)[-1] == "Slow pages", "a body match ranks below title matches"
    outsider = new_client().login_as(people["other_team"]).get("/search?q=cache").text
    assert set(found(outsider)) == {"Stale cache after deploy", "Slow pages"}
    author = new_client().login_as(people["author"]).get("/search?q=cache").text
    assert "Private cache secret" in found(author)


def test_every_word_must_match_and_prefixes_count(client, people, lessons):
    browser = client.login_as(people["teammate"])
    assert found(browser.get("/search?q=stale+deploy").text) == ["Stale cache after deploy"]
    assert found(browser.get("/search?q=deplo").text) == ["Stale cache after deploy"]
    assert found(browser.get("/search?q=stale+unrelated").text) == []


@pytest.mark.parametrize(
    "query", ['"', "cache AND", "NEAR(", "*", "a:b", "'; DROP TABLE entries", "ü"]
)
def test_search_syntax_in_the_query_is_just_text(client, people, lessons, query):
    response = client.login_as(people["teammate"]).get("/search", query_string={"q": query})
    assert response.status_code == 200


def test_matches_are_highlighted_and_escaped(client, people, make_entry):
    make_entry(
        people["author"], title="<script>alert(1)</script> cache", what_happened="a <b>cache</b>"
    )
    page = client.login_as(people["teammate"]).get("/search?q=cache").text
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; <mark>cache</mark>" in page


def test_highlight_and_snippet_units():
    assert (
        str(highlight("Caching & caches", ["cach"]))
        == "<mark>Caching</mark> &amp; <mark>caches</mark>"
    )
    # Text that looks like an entity is text: escaped, and its word still marked.
    assert str(highlight("amp &amp;", ["amp"])) == "<mark>amp</mark> &amp;<mark>amp</mark>;"
    long = "word " * 100 + "needle " + "word " * 100
    piece = str(snippet(long, ["needle"]))
    assert "<mark>needle</mark>" in piece and piece.startswith("…word") and piece.endswith("…")
    assert terms_of("Cache, CACHE deploy!") == ["cache", "deploy"]


def test_index_follows_edits_and_deletes(client, people, lessons):
    browser = client.login_as(people["author"])
    entry = lessons["other"]
    browser.post(
        f"/entries/{entry.id}/edit", {"title": "Now about kubernetes", "visibility": "org"}
    )
    assert found(browser.get("/search?q=kubernetes").text) == ["Now about kubernetes"]
    assert found(browser.get("/search?q=unrelated").text) == []
    browser.post(f"/entries/{entry.id}/delete")
    assert found(browser.get("/search?q=kubernetes").text) == [], "soft-deleted entries hide"
    browser.post(f"/entries/{entry.id}/restore")
    assert found(browser.get("/search?q=kubernetes").text) == ["Now about kubernetes"]
    db.session.delete(db.session.get(type(entry), entry.id))
    db.session.commit()
    table = "search_documents" if db.engine.dialect.name == "postgresql" else "search_fts"
    left = db.session.execute(
        text(f"SELECT count(*) FROM {table} WHERE kind = 'entry' AND ref_id = :id"),
        {"id": entry.id},
    ).scalar()
    assert left == 0


def test_improvements_are_searched_too(client, people, lessons, make_improvement):
    from tests.improvements.conftest import make_improvement as _  # noqa: F401

    make_improvement(lessons["other"], people["owner"], title="Add a flamegraph to the runbook")
    page = client.login_as(people["teammate"]).get("/search?q=flamegraph").text
    assert "<mark>flamegraph</mark>" in page and "Improvements" in page


def test_rebuild_refills_the_index(app, people, lessons):
    with db.engine.begin() as connection:
        assert rebuild(connection) == len(lessons)


def test_active_search_answers_htmx_with_results_only(client, people, lessons):
    response = client.login_as(people["teammate"]).get("/search?q=cache", htmx=True)
    assert response.status_code == 200 and "<html" not in response.text
    assert "Stale cache after deploy" in found(response.text)
    page = client.get("/search").text
    assert 'hx-trigger="input changed delay:300ms from:#q, search from:#q, submit"' in page


def test_related_lessons_are_earlier_visible_and_share_something(client, people, make_entry):
    author, now = people["author"], datetime.now(UTC)
    older = make_entry(author, title="Cache stampede", created_at=now - timedelta(days=9))
    older.tags = tags_named(["cache"])
    private = make_entry(
        people["teammate"],
        title="Cache private",
        visibility=Visibility.PRIVATE,
        created_at=now - timedelta(days=8),
    )
    private.tags = tags_named(["cache"])
    make_entry(author, title="Nothing in common", created_at=now - timedelta(days=7))
    words = make_entry(
        author, title="Stampede again in billing", created_at=now - timedelta(days=6)
    )
    current = make_entry(author, title="Cache stampede on deploy", created_at=now)
    current.tags = tags_named(["cache"])
    later = make_entry(author, title="Cache stampede later", created_at=now + timedelta(days=1))
    later.tags = tags_named(["cache"])
    db.session.commit()
    page = client.login_as(people["other_team"]).get(f"/entries/{current.id}").text
    related = page[page.index("This happened before") :]
    titles = re.findall(r'<li><a href="/entries/\d+">([^<]+)</a>', related)
    assert titles == ["Cache stampede", "Stampede again in billing"]
    assert words and private and later
