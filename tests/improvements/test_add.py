"""Proposing an improvement from the entry page and from quick entry: both faces, bad input."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from learnapp.extensions import db
from learnapp.improvements.models import Improvement, ImprovementType, Status
from learnapp.models import Entry, Visibility
from tests.improvements.conftest import history_of


def improvements() -> list[Improvement]:
    db.session.expire_all()
    return list(db.session.scalars(select(Improvement).order_by(Improvement.id)))


def form_key(html: str) -> str:
    return re.search(r'name="idempotency_key" type="hidden" value="([^"]+)"', html).group(1)


def test_plain_post_adds_improvement_owned_by_proposer_and_redirects(client, people, entry):
    browser = client.login_as(people["teammate"])
    response = browser.post(
        f"/entries/{entry.id}/improvements",
        {
            "title": "Purge the CDN on price change",
            "details": "Use the *purge* API",
            "type": "code",
            "owner": str(people["teammate"].id),
            "priority": "1",
            "due_date": "2030-01-31",
            "external_ref": "OPS-123",
        },
    )
    assert response.status_code == 303
    assert response.headers["Location"] == f"/entries/{entry.id}#improvements"
    [made] = improvements()
    assert (made.title, made.type, made.priority, made.external_ref) == (
        "Purge the CDN on price change",
        ImprovementType.CODE,
        1,
        "OPS-123",
    )
    assert made.owner_id == made.created_by_id == people["teammate"].id
    assert made.status is Status.PROPOSED and made.done_at is None
    assert str(made.due_date) == "2030-01-31"
    assert history_of(made) == [(None, "proposed", "Teammate")]
    page = browser.get(f"/entries/{entry.id}")
    assert "Improvement added: Purge the CDN on price change" in page.text
    assert "<em>purge</em>" not in page.text, "details show on the improvement's own page"


def test_entry_page_offers_the_viewer_as_default_owner(client, people, entry):
    page = client.login_as(people["lead"]).get(f"/entries/{entry.id}").text
    selected = re.search(r'<option selected value="(\d+)">', page)
    assert selected and int(selected.group(1)) == people["lead"].id
    assert "No improvement yet" in page


def test_htmx_add_returns_the_section_with_the_item_and_a_fresh_form(client, people, entry):
    browser = client.login_as(people["author"])
    key = form_key(browser.get(f"/entries/{entry.id}").text)
    response = browser.post(
        f"/entries/{entry.id}/improvements",
        {
            "title": "Add a cache test",
            "owner": str(people["author"].id),
            "type": "test",
            "priority": "2",
            "idempotency_key": key,
        },
        htmx=True,
    )
    assert response.status_code == 200
    html = response.text
    assert "<html" not in html and html.lstrip().startswith('<section id="improvements"')
    assert "Add a cache test" in html and "(1 · 0 done)" in html
    assert form_key(html) != key, "the next proposal needs its own key"
    assert 'hx-swap-oob="innerHTML:#announcer"' in html
    assert "No improvement yet" not in html


def test_resent_form_adds_the_improvement_once(client, people, entry):
    browser = client.login_as(people["author"])
    data = {
        "title": "Only once",
        "owner": str(people["author"].id),
        "type": "process",
        "priority": "2",
        "idempotency_key": "same-key-1",
    }
    first = browser.post(f"/entries/{entry.id}/improvements", data, htmx=True)
    second = browser.post(f"/entries/{entry.id}/improvements", data, htmx=True)
    assert first.status_code == second.status_code == 200
    assert len(improvements()) == 1


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"title": ""}, "Please fill this in."),
        ({"title": "x" * 201}, "Keep it under 200 characters."),
        ({"title": "bad\x00byte"}, "control character"),
        ({"due_date": "31/01/2030"}, "Not a valid date value"),
        ({"due_date": "1890-01-01"}, "between 2000 and 2100"),
        ({"priority": "7"}, "Not a valid choice"),
        ({"type": "magic"}, "Not a valid choice"),
        ({"owner": "999999"}, "Not a valid choice"),
    ],
)
@pytest.mark.parametrize("htmx", [False, True])
def test_invalid_proposal_keeps_the_text_and_stores_nothing(
    client, people, entry, changes, message, htmx
):
    data = {
        "title": "Purge the CDN",
        "details": "Keep *this* text",
        "type": "code",
        "owner": str(people["author"].id),
        "priority": "2",
        **changes,
    }
    response = client.login_as(people["author"]).post(
        f"/entries/{entry.id}/improvements", data, htmx=htmx
    )
    assert response.status_code == 422
    assert message in response.text
    assert "Keep *this* text" in response.text
    assert ("<html" in response.text) is not htmx
    assert improvements() == []


def test_owner_must_be_someone_who_can_see_the_entry(client, people, make_entry):
    team_entry = make_entry(people["author"], visibility=Visibility.TEAM)
    response = client.login_as(people["author"]).post(
        f"/entries/{team_entry.id}/improvements",
        {"title": "Fix", "type": "code", "priority": "2", "owner": str(people["other_team"].id)},
    )
    assert response.status_code == 422
    assert "Other" not in re.findall(r"<option[^>]*>([^<]+)</option>", response.text)
    assert improvements() == []


def test_nobody_proposes_on_an_entry_they_cannot_see(client, people, make_entry):
    private = make_entry(people["author"], visibility=Visibility.PRIVATE)
    response = client.login_as(people["admin"]).post(
        f"/entries/{private.id}/improvements",
        {"title": "Peek", "type": "code", "priority": "2", "owner": str(people["admin"].id)},
    )
    assert response.status_code == 404
    assert improvements() == []


def test_signed_out_proposal_goes_to_login(client, entry):
    response = client.post(f"/entries/{entry.id}/improvements", {"title": "x"})
    assert response.status_code == 303 and "/login" in response.headers["Location"]
    assert improvements() == []


@pytest.mark.parametrize(
    ("change", "track", "expected_title"),
    [
        ("- Add a `make` target\n- and a CI check", "y", "Add a make target"),
        ("Purge the CDN on deploy", "y", "Purge the CDN on deploy"),
        ("Purge the CDN on deploy", None, None),
        ("", "y", None),
    ],
)
def test_quick_entry_can_track_what_we_will_change(client, people, change, track, expected_title):
    data = {"title": "Lesson", "what_we_will_change": change, "idempotency_key": "k-quick"}
    if track:
        data["track_change"] = track
    response = client.login_as(people["author"]).post("/entries", data, htmx=True)
    assert response.status_code == 200
    made = improvements()
    if expected_title is None:
        assert made == []
        return
    [improvement] = made
    assert improvement.title == expected_title
    assert improvement.owner_id == people["author"].id
    assert improvement.entry.title == "Lesson"
    assert improvement.details == ("" if "\n" not in change else change)
    assert "1 improvement" in response.text


def test_quick_entry_resent_creates_one_entry_and_one_improvement(client, people):
    browser = client.login_as(people["author"])
    data = {
        "title": "Lesson",
        "what_we_will_change": "Do it",
        "track_change": "y",
        "idempotency_key": "k-twice",
    }
    browser.post("/entries", data)
    browser.post("/entries", data)
    assert db.session.scalar(select(func.count(Entry.id))) == 1
    assert len(improvements()) == 1


def test_the_offer_to_track_shows_only_on_new_entries(client, people, entry):
    browser = client.login_as(people["author"])
    assert 'name="track_change"' in browser.get("/").text
    assert 'name="track_change"' in browser.get("/entries/new").text
    assert 'name="track_change"' not in browser.get(f"/entries/{entry.id}/edit").text
