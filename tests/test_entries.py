"""Quick entry, the feed, the entry page, edit, delete and undo: plain and htmx faces."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from learnapp.extensions import db
from learnapp.models import Entry, Kind, Visibility
from tests.conftest import recorded_sql


def entry_count() -> int:
    return db.session.scalar(select(func.count(Entry.id)))


def idempotency_key(html: str) -> str:
    return re.search(r'name="idempotency_key" type="hidden" value="([^"]+)"', html).group(1)


@pytest.fixture
def signed_in(client, author):
    return client.login_as(author)


def test_feed_requires_login_and_redirects_to_it(client):
    response = client.get("/")
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/login?next=/")


def test_quick_entry_plain_post_redirects_to_feed_with_message(signed_in):
    key = idempotency_key(signed_in.get("/").text)
    response = signed_in.post(
        "/entries", {"title": "Stale cache cost me 2h", "idempotency_key": key}
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/"
    page = signed_in.get("/")
    assert "Saved. Thank you for sharing" in page.text
    assert "Stale cache cost me 2h" in page.text
    entry = db.session.scalar(select(Entry))
    assert entry.kind == Kind.LESSON and entry.visibility == Visibility.ORG


NEXT_KEY = re.compile(
    r'<input type="hidden" name="idempotency_key" value="([^"]+)" '
    r'hx-swap-oob="outerHTML:#quick-entry input\[name=idempotency_key\]">'
)


def test_quick_entry_htmx_returns_card_next_key_and_announcement(signed_in):
    key = idempotency_key(signed_in.get("/").text)
    response = signed_in.post(
        "/entries", {"title": "Lesson <b>one</b>", "idempotency_key": key}, htmx=True
    )
    assert response.status_code == 200
    assert response.headers["HX-Trigger"] == "entry-created", "the page's form resets on it"
    html = response.text
    assert 'class="entry-card"' in html
    assert "Lesson &lt;b&gt;one&lt;/b&gt;" in html
    assert 'id="quick-entry"' not in html, "the form on the page resets itself"
    next_key = NEXT_KEY.search(html)
    assert next_key and next_key[1] != key, "the next entry needs a new key"
    assert 'hx-swap-oob="innerHTML:#announcer"' in html
    assert "Vary" in response.headers and "HX-Request" in response.headers["Vary"]


def test_quick_entry_saved_after_errors_replaces_the_form_with_a_blank_one(signed_in):
    refused = signed_in.post("/entries", {"title": "Kept", "tags": "no spaces!"}, htmx=True)
    assert 'name="form_shows_errors"' in refused.text, "the re-rendered form says so"
    response = signed_in.post(
        "/entries",
        {"title": "Kept", "tags": "fixed", "form_shows_errors": "1", "idempotency_key": "k-9"},
        htmx=True,
    )
    assert response.status_code == 200
    html = response.text
    assert 'id="quick-entry"' in html and 'hx-swap-oob="true"' in html
    assert "is not a tag" not in html and 'value="Kept"' not in html
    assert 'name="form_shows_errors"' not in html
    assert idempotency_key(html) != "k-9"
    assert NEXT_KEY.search(html) is None


def test_full_form_saves_every_field(signed_in, teams):
    response = signed_in.post(
        "/entries",
        {
            "title": "Deleted prod rows",
            "kind": "incident",
            "what_happened": "A *script* ran on prod",
            "what_we_learned": "Confirm the environment",
            "what_we_will_change": "Add a banner",
            "tags": "Database, #backups database",
            "team": str(teams["platform"].id),
            "visibility": "team",
            "anonymous": "y",
            "time_lost": "1h 30m",
            "idempotency_key": "k-1",
        },
    )
    assert response.status_code == 303
    entry = db.session.scalar(select(Entry))
    assert entry.kind == Kind.INCIDENT
    assert entry.visibility == Visibility.TEAM and entry.team_id == teams["platform"].id
    assert entry.anonymous is True
    assert entry.time_lost_minutes == 90
    assert [t.name for t in entry.tags] == ["backups", "database"]


def test_invalid_plain_post_shows_full_form_with_errors_and_text_kept(signed_in):
    response = signed_in.post(
        "/entries", {"title": "", "what_happened": "kept text here", "time_lost": "soon"}
    )
    assert response.status_code == 422
    assert "Please fill this in." in response.text
    assert "kept text here" in response.text
    assert "Write it like 45m" in response.text
    assert entry_count() == 0


def test_invalid_htmx_post_retargets_the_quick_form(signed_in):
    response = signed_in.post("/entries", {"title": "ok", "tags": "no spaces!"}, htmx=True)
    assert response.status_code == 422
    assert response.headers["HX-Retarget"] == "#quick-entry"
    assert response.headers["HX-Reswap"] == "outerHTML"
    assert '<details class="more" open>' in response.text, "detail errors must be visible"
    assert "is not a tag" in response.text
    assert entry_count() == 0


def test_team_visibility_needs_a_team(signed_in):
    response = signed_in.post("/entries", {"title": "x", "visibility": "team", "team": "0"})
    assert response.status_code == 422
    assert "Choose a team" in response.text


def test_team_must_be_one_of_the_authors_teams(signed_in, teams):
    response = signed_in.post("/entries", {"title": "x", "team": str(teams["payments"].id)})
    assert response.status_code == 422
    assert entry_count() == 0


@pytest.mark.parametrize("htmx", [False, True])
def test_double_submit_makes_one_entry(signed_in, htmx):
    form = {"title": "Clicked twice", "idempotency_key": "same-key-123"}
    first = signed_in.post("/entries", form, htmx=htmx)
    second = signed_in.post("/entries", form, htmx=htmx)
    assert first.status_code == second.status_code
    assert entry_count() == 1


def test_same_key_from_two_authors_makes_two_entries(client, new_client, make_user):
    other = new_client().login_as(make_user("Grace"))
    client.login_as(make_user("Ada"))
    client.post("/entries", {"title": "a", "idempotency_key": "k"})
    other.post("/entries", {"title": "b", "idempotency_key": "k"})
    assert entry_count() == 2


def test_feed_pages_by_keyset_without_repeats(signed_in, author, make_entry, app):
    for _ in range(30):
        make_entry(author)
    first = signed_in.get("/")
    ids_first = re.findall(r'id="entry-(\d+)"', first.text)
    assert len(ids_first) == app.config["FEED_PAGE_SIZE"] == 25
    more = re.search(r'href="(/\?cursor=[^"]+)"', first.text).group(1).replace("&amp;", "&")
    second = signed_in.get(more, htmx=True)
    assert second.status_code == 200
    assert "<html" not in second.text, "an htmx load-more answers with the fragment"
    ids_second = re.findall(r'id="entry-(\d+)"', second.text)
    assert len(ids_second) == 5
    assert not set(ids_first) & set(ids_second)
    assert "Load more" not in second.text
    plain = signed_in.get(more)
    assert "<html" in plain.text and re.findall(r'id="entry-(\d+)"', plain.text) == ids_second


def test_feed_orders_newest_first(signed_in, author, make_entry):
    from datetime import timedelta

    from learnapp.models import utcnow

    old = make_entry(author, title="Old one", created_at=utcnow() - timedelta(days=3))
    new = make_entry(author, title="New one")
    html = signed_in.get("/").text
    assert html.index(f'id="entry-{new.id}"') < html.index(f'id="entry-{old.id}"')


def test_feed_filters_by_kind_team_and_tag(signed_in, author, make_entry, make_user, teams):
    from learnapp.tags import tags_named

    lesson = make_entry(author, title="A lesson")
    incident = make_entry(author, title="An incident", kind=Kind.INCIDENT)
    other_team = make_entry(make_user("Kay", team="payments"), title="Payments lesson")
    tagged = make_entry(author, title="Tagged")
    tagged.tags = tags_named(["deploy"])
    db.session.commit()

    def titles(query: str) -> set[str]:
        html = signed_in.get(query).text
        return {t for t in ("A lesson", "An incident", "Payments lesson", "Tagged") if t in html}

    assert titles("/?kind=incident") == {incident.title}
    assert titles(f"/?team={teams['payments'].id}") == {other_team.title}
    assert titles("/?tag=deploy") == {tagged.title}
    assert lesson.title in titles("/")
    assert signed_in.get("/?kind=bogus").status_code == 422


def test_empty_feed_invites_the_first_lesson(signed_in):
    assert "Nothing here yet" in signed_in.get("/").text


def test_entry_page_renders_markdown(signed_in, author, make_entry):
    entry = make_entry(author, what_we_learned="Use **bold** moves")
    html = signed_in.get(f"/entries/{entry.id}").text
    assert "<strong>bold</strong>" in html
    assert "hx-disable" in html


def test_edit_plain_and_htmx(signed_in, author, make_entry):
    entry = make_entry(author, title="Before")
    page = signed_in.get(f"/entries/{entry.id}/edit")
    assert page.status_code == 200 and 'value="Before"' in page.text and "<html" in page.text
    fragment = signed_in.get(f"/entries/{entry.id}/edit", htmx=True)
    assert "<html" not in fragment.text and 'id="entry-body"' in fragment.text

    response = signed_in.post(f"/entries/{entry.id}/edit", {"title": "After plain"})
    assert response.status_code == 303
    response = signed_in.post(f"/entries/{entry.id}/edit", {"title": "After htmx"}, htmx=True)
    assert response.status_code == 200
    assert "<h1>After htmx</h1>" in response.text and "Changes saved." in response.text
    db.session.refresh(entry)
    assert entry.title == "After htmx"


def test_edit_with_errors_keeps_text(signed_in, author, make_entry):
    entry = make_entry(author, title="Keep")
    response = signed_in.post(
        f"/entries/{entry.id}/edit", {"title": "", "what_happened": "draft words"}, htmx=True
    )
    assert response.status_code == 422
    assert "draft words" in response.text
    db.session.refresh(entry)
    assert entry.title == "Keep"


def test_cancel_edit_under_htmx_returns_the_body_fragment(signed_in, author, make_entry):
    entry = make_entry(author, title="Body")
    fragment = signed_in.get(f"/entries/{entry.id}", htmx=True)
    assert "<html" not in fragment.text and "<h1>Body</h1>" in fragment.text


def test_delete_and_undo_plain(signed_in, author, make_entry):
    entry = make_entry(author, title="Oops")
    response = signed_in.post(f"/entries/{entry.id}/delete")
    assert response.status_code == 303
    feed = signed_in.get("/").text
    assert "Oops" not in feed
    assert f'action="/entries/{entry.id}/restore"' in feed, "the flash offers Undo"
    assert signed_in.get(f"/entries/{entry.id}").status_code == 404
    response = signed_in.post(f"/entries/{entry.id}/restore")
    assert response.status_code == 303
    assert signed_in.get(f"/entries/{entry.id}").status_code == 200


def test_delete_and_undo_htmx(signed_in, author, make_entry):
    entry = make_entry(author, title="Oops")
    response = signed_in.post(f"/entries/{entry.id}/delete", htmx=True)
    assert response.status_code == 200 and "was deleted" in response.text
    assert "Undo" in response.text
    db.session.refresh(entry)
    assert entry.deleted_at is not None
    response = signed_in.post(f"/entries/{entry.id}/restore", htmx=True)
    assert response.status_code == 200 and "<h1>Oops</h1>" in response.text
    db.session.refresh(entry)
    assert entry.deleted_at is None


def test_new_entry_page_can_preselect_incident(signed_in):
    html = signed_in.get("/entries/new?kind=incident").text
    assert re.search(r'checked[^>]*value="incident"|value="incident"[^>]*checked', html)


def count_queries(client, url: str) -> int:
    with recorded_sql() as statements:
        assert client.get(url).status_code == 200
    return sum(not s.startswith(("BEGIN", "PRAGMA")) for s in statements)


def test_feed_queries_do_not_grow_with_its_length(signed_in, author, make_user, make_entry):
    from learnapp.tags import tags_named

    others = [make_user(f"Person{i}", team=("platform", "payments")[i % 2]) for i in range(4)]

    def add(count: int) -> None:
        for i in range(count):
            entry = make_entry(others[i % 4] if i % 3 else author)
            entry.tags = tags_named([f"tag{i % 5}", "shared"])
        db.session.commit()

    add(2)
    short = count_queries(signed_in, "/")
    add(30)
    full = count_queries(signed_in, "/")
    assert full == short <= 6
