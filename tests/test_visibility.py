"""Who may see, edit and delete an entry: every viewer, every visibility, anonymous or not."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from learnapp.extensions import db
from learnapp.models import Entry, Role, Visibility

VIEWERS = ["author", "teammate", "other_team", "admin", "signed_out"]

# (visibility, viewer) -> may read
CAN_READ = {
    ("org", "author"): True,
    ("org", "teammate"): True,
    ("org", "other_team"): True,
    ("org", "admin"): True,
    ("org", "signed_out"): False,
    ("team", "author"): True,
    ("team", "teammate"): True,
    ("team", "other_team"): False,
    ("team", "admin"): False,
    ("team", "signed_out"): False,
    ("private", "author"): True,
    ("private", "teammate"): False,
    ("private", "other_team"): False,
    ("private", "admin"): False,
    ("private", "signed_out"): False,
}


def refusals(visibility: str, viewer: str) -> set[int]:
    """Statuses a refused viewer may get: a login redirect, 403 if they may read, else 404."""
    if viewer == "signed_out":
        return {303, 400}  # 400: a signed-out browser's token is for another session
    return {403} if CAN_READ[(visibility, viewer)] else {404}


@pytest.fixture
def people(make_user):
    return {
        "author": make_user("Author"),
        "teammate": make_user("Teammate"),
        "other_team": make_user("Other", team="payments"),
        "admin": make_user("Admin", team="payments", role=Role.LEAD, admin=True),
        "signed_out": None,
    }


@pytest.fixture
def browser_for(people, new_client):
    def browser(viewer: str):
        client = new_client()
        return client.login_as(people[viewer]) if people[viewer] else client

    return browser


def make_case(make_entry, people, visibility: str, anonymous: bool) -> Entry:
    return make_entry(
        people["author"],
        title=f"Secret-{visibility}-{anonymous}",
        visibility=Visibility(visibility),
        anonymous=anonymous,
        what_happened="the story",
    )


@pytest.mark.parametrize("anonymous", [False, True])
@pytest.mark.parametrize("viewer", VIEWERS)
@pytest.mark.parametrize("visibility", ["org", "team", "private"])
def test_feed_and_page(make_entry, people, browser_for, visibility, viewer, anonymous):
    entry = make_case(make_entry, people, visibility, anonymous)
    browser = browser_for(viewer)
    may_read = CAN_READ[(visibility, viewer)]

    feed = browser.get("/")
    page = browser.get(f"/entries/{entry.id}")
    if viewer == "signed_out":
        assert feed.status_code == 303 and page.status_code == 303
        assert "/login" in page.headers["Location"]
        return
    assert (entry.title in feed.text) is may_read
    assert page.status_code == (200 if may_read else 404)
    if may_read:
        shows_author = not anonymous or viewer == "author"
        # The byline, not the whole page: every name is an option in the owner select.
        assert bool(re.search(r"by\s+Author\b", page.text)) is shows_author
        assert bool(re.search(r"by\s+Author\b", feed.text)) is shows_author
        if not shows_author:
            assert "a teammate" in page.text


@pytest.mark.parametrize("viewer", VIEWERS)
@pytest.mark.parametrize("visibility", ["org", "team", "private"])
def test_edit(make_entry, people, browser_for, visibility, viewer):
    entry = make_case(make_entry, people, visibility, False)
    browser = browser_for(viewer)
    form = browser.get(f"/entries/{entry.id}/edit")
    saved = browser.post(f"/entries/{entry.id}/edit", {"title": "Changed"})
    title = db.session.scalar(select(Entry.title).where(Entry.id == entry.id))
    if viewer == "author":
        assert form.status_code == 200 and saved.status_code == 303 and title == "Changed"
        return
    assert title == entry.title
    assert {form.status_code, saved.status_code} <= refusals(visibility, viewer)
    if form.status_code == 403:
        assert "Only the author can edit" in form.text


@pytest.mark.parametrize("viewer", VIEWERS)
@pytest.mark.parametrize("visibility", ["org", "team", "private"])
def test_delete_and_restore(make_entry, people, browser_for, visibility, viewer):
    entry = make_case(make_entry, people, visibility, False)
    browser = browser_for(viewer)
    response = browser.post(f"/entries/{entry.id}/delete")
    deleted = db.session.scalar(select(Entry.deleted_at).where(Entry.id == entry.id))
    may_delete = viewer == "author" or (viewer == "admin" and CAN_READ[(visibility, viewer)])
    assert (deleted is not None) is may_delete
    if may_delete:
        assert response.status_code == 303
        assert browser.post(f"/entries/{entry.id}/restore").status_code == 303
        assert db.session.scalar(select(Entry.deleted_at).where(Entry.id == entry.id)) is None
    else:
        assert response.status_code in refusals(visibility, viewer)


def test_someone_else_cannot_restore_a_deleted_entry(make_entry, people, browser_for):
    entry = make_case(make_entry, people, "org", False)
    browser_for("author").post(f"/entries/{entry.id}/delete")
    response = browser_for("teammate").post(f"/entries/{entry.id}/restore")
    assert response.status_code == 403
    assert db.session.scalar(select(Entry.deleted_at).where(Entry.id == entry.id)) is not None


def test_deleted_entries_leave_every_feed(make_entry, people, browser_for):
    entry = make_case(make_entry, people, "org", False)
    browser_for("author").post(f"/entries/{entry.id}/delete")
    for viewer in ("author", "teammate", "admin"):
        assert entry.title not in browser_for(viewer).get("/").text


def test_leaving_a_team_hides_its_team_entries(make_entry, people, browser_for, teams):
    entry = make_case(make_entry, people, "team", False)
    teammate = browser_for("teammate")
    assert teammate.get(f"/entries/{entry.id}").status_code == 200
    assert teammate.post(f"/teams/{teams['platform'].id}/leave").status_code == 303
    assert teammate.get(f"/entries/{entry.id}").status_code == 404
