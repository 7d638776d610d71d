"""Unrepaired is visible: counts on cards and pages, and "no change needed" with a reason."""

from __future__ import annotations

import pytest

from learnapp.extensions import db
from learnapp.improvements.models import Status
from learnapp.models import Entry
from tests.conftest import recorded_sql


def fresh(entry: Entry) -> Entry:
    db.session.expire_all()
    return db.session.get(Entry, entry.id)


def test_cards_show_how_far_each_entry_is_repaired(client, people, make_entry, make_improvement):
    bare = make_entry(people["author"], title="Bare")
    started = make_entry(people["author"], title="Started")
    make_improvement(started, people["owner"], Status.IN_PROGRESS)
    make_improvement(started, people["owner"], Status.DONE)
    make_improvement(started, people["owner"], Status.DROPPED)
    handled = make_entry(people["author"], title="Handled", no_change_reason="One-off")
    feed = client.login_as(people["teammate"]).get("/").text

    def card(title: str) -> str:
        start = feed.index(f">{title}</a>")
        return feed[start : feed.index("</article>", start)]

    assert "No improvement yet" in card("Bare")
    assert "2 improvements</a>, 1 done" in card("Started"), "a dropped one does not count"
    assert "No change needed" in card("Handled")
    assert bare and handled


def test_feed_query_count_does_not_grow_with_improvements(
    client, people, make_entry, make_improvement
):
    browser = client.login_as(people["teammate"])
    for number in range(3):
        make_entry(people["author"], title=f"E{number}")
    with recorded_sql() as few:
        browser.get("/")
    for entry in db.session.scalars(db.select(Entry)).all():
        for _ in range(3):
            make_improvement(entry, people["owner"])
    with recorded_sql() as many:
        browser.get("/")
    assert len(many) == len(few)


@pytest.mark.parametrize("htmx", [False, True])
def test_author_marks_no_change_needed_with_a_reason(client, people, entry, htmx):
    browser = client.login_as(people["author"])
    assert "No change needed?" in browser.get(f"/entries/{entry.id}").text
    response = browser.post(
        f"/entries/{entry.id}/no-change", {"reason": "Vendor bug, fixed upstream"}, htmx=htmx
    )
    if htmx:
        assert response.status_code == 200
        assert response.text.lstrip().startswith('<section id="improvements"')
        assert "Vendor bug, fixed upstream" in response.text
    else:
        assert response.status_code == 303
    marked = fresh(entry)
    assert marked.no_change_reason == "Vendor bug, fixed upstream"
    assert marked.no_change_by_id == people["author"].id and marked.repair_state == "no_change"

    cleared = browser.post(f"/entries/{entry.id}/no-change/clear", htmx=htmx)
    assert cleared.status_code == (200 if htmx else 303)
    assert fresh(entry).no_change_reason is None


@pytest.mark.parametrize("htmx", [False, True])
def test_no_change_needs_a_reason(client, people, entry, htmx):
    response = client.login_as(people["author"]).post(
        f"/entries/{entry.id}/no-change", {"reason": "  "}, htmx=htmx
    )
    assert response.status_code == 422
    assert "Please fill this in." in response.text
    assert fresh(entry).no_change_reason is None


@pytest.mark.parametrize(
    ("role", "allowed"),
    [("author", True), ("lead", True), ("admin", True), ("teammate", False), ("other_lead", False)],
)
def test_who_may_mark_no_change(new_client, people, entry, role, allowed):
    browser = new_client().login_as(people[role])
    page = browser.get(f"/entries/{entry.id}").text
    assert ("No change needed?" in page) is allowed
    response = browser.post(f"/entries/{entry.id}/no-change", {"reason": "One-off"})
    assert response.status_code == (303 if allowed else 403)
    assert (fresh(entry).no_change_reason == "One-off") is allowed
