"""The status flow: who may move an incident, what it records, fix first, and publishing."""

from __future__ import annotations

import pytest

from learnapp.extensions import db
from learnapp.incidents.models import IncidentStatus
from tests.incidents.conftest import incident, status_history

WORKERS = {"author", "responder", "lead", "admin"}
PUBLISHERS = {"author", "lead", "admin"}
ROLES = ["author", "responder", "lead", "admin", "teammate", "other_team"]
# (from, to as posted, status afterwards)
TRANSITIONS = [
    (IncidentStatus.ONGOING, "resolved", IncidentStatus.RESOLVED),
    (IncidentStatus.RESOLVED, "ongoing", IncidentStatus.ONGOING),
    (IncidentStatus.RESOLVED, "in_review", IncidentStatus.IN_REVIEW),
]
RESOLVED_AT = "2026-11-20T12:00"


def move(browser, entry, to, expected, htmx=False):
    data = {"to": to, "expected": expected.value, "resolved_at": RESOLVED_AT}
    return browser.post(f"/entries/{entry.id}/status", data, htmx=htmx)


@pytest.mark.parametrize(("start", "to", "after"), TRANSITIONS)
@pytest.mark.parametrize("role", ROLES)
def test_who_may_move_an_incident(new_client, people, make_incident, role, start, to, after):
    entry = make_incident(people["author"], status=start, responders=(people["responder"],))
    before = status_history(entry)
    response = move(new_client().login_as(people[role]), entry, to, start)
    if role in WORKERS:
        assert response.status_code == 303
        assert incident(entry).status is after
        assert status_history(entry) == [
            *before,
            (start.value, after.value, people[role].display_name),
        ]
    else:
        assert response.status_code == 403
        assert "Only the incident&#39;s author, its responders, a lead of Platform" in response.text
        assert incident(entry).status is start
        assert status_history(entry) == before


@pytest.mark.parametrize(
    ("start", "to", "status"),
    [
        (IncidentStatus.ONGOING, "in_review", 400),
        (IncidentStatus.IN_REVIEW, "ongoing", 400),
        (IncidentStatus.ONGOING, "published", 422),
        (IncidentStatus.ONGOING, "fixed", 422),
    ],
)
def test_moves_outside_the_flow_are_refused(client, people, make_incident, start, to, status):
    entry = make_incident(people["author"], status=start)
    response = move(client.login_as(people["author"]), entry, to, start)
    assert response.status_code == status
    assert incident(entry).status is start


def test_resolving_records_the_time_and_reopening_clears_it(client, people, incident_entry):
    browser = client.login_as(people["author"])
    assert move(browser, incident_entry, "resolved", IncidentStatus.ONGOING).status_code == 303
    assert incident(incident_entry).resolved_at.isoformat() == "2026-11-20T12:00:00+00:00"
    assert move(browser, incident_entry, "ongoing", IncidentStatus.RESOLVED).status_code == 303
    assert incident(incident_entry).resolved_at is None


def test_a_double_click_moves_once(client, people, incident_entry):
    browser = client.login_as(people["author"])
    first = move(browser, incident_entry, "resolved", IncidentStatus.ONGOING, htmx=True)
    second = move(browser, incident_entry, "resolved", IncidentStatus.ONGOING, htmx=True)
    assert first.status_code == second.status_code == 200
    assert "Now resolved." in second.text
    assert [step[1] for step in status_history(incident_entry)] == ["ongoing", "resolved"]


def test_a_stale_page_changes_nothing_and_says_so(client, people, make_incident):
    entry = make_incident(people["author"], status=IncidentStatus.IN_REVIEW)
    response = move(
        client.login_as(people["author"]), entry, "ongoing", IncidentStatus.RESOLVED, htmx=True
    )
    assert response.status_code == 200
    assert "Someone moved it to in review meanwhile; nothing changed." in response.text
    assert incident(entry).status is IncidentStatus.IN_REVIEW


def test_htmx_move_returns_the_incident_sections(client, people, incident_entry):
    response = move(
        client.login_as(people["author"]),
        incident_entry,
        "resolved",
        IncidentStatus.ONGOING,
        htmx=True,
    )
    html = response.text
    assert html.lstrip().startswith('<div id="incident" class="incident">')
    assert "<html" not in html and 'id="analyses"' in html
    assert 'hx-swap-oob="innerHTML:#announcer">Now resolved.' in html


def test_while_ongoing_the_page_is_about_fixing(client, people, incident_entry):
    page = client.login_as(people["author"]).get(f"/entries/{incident_entry.id}").text
    assert "The focus is fixing." in page
    assert 'id="timeline"' in page and 'id="responders"' in page
    assert (
        'id="analyses"' not in page and 'id="review"' not in page and 'id="narrative"' not in page
    )
    assert "open once it is resolved" in page


def test_once_resolved_analysis_review_and_narrative_appear(client, people, make_incident):
    entry = make_incident(people["author"], status=IncidentStatus.RESOLVED)
    page = client.login_as(people["author"]).get(f"/entries/{entry.id}").text
    assert "The focus is fixing." not in page
    assert 'id="analyses"' in page and 'id="review"' in page and 'id="narrative"' in page
    assert page.index('id="incident"') < page.index('id="improvements"'), "improvements stay"


def test_joining_makes_you_a_responder_once(client, people, incident_entry):
    browser = client.login_as(people["teammate"])
    page = browser.get(f"/entries/{incident_entry.id}").text
    assert "I\u2019m on it" in page and "can change this" in page
    first = browser.post(f"/entries/{incident_entry.id}/responders", htmx=True)
    browser.post(f"/entries/{incident_entry.id}/responders")
    assert first.status_code == 200 and first.text.lstrip().startswith('<section id="responders"')
    assert first.text.count("<li>Teammate</li>") == 1
    assert move(browser, incident_entry, "resolved", IncidentStatus.ONGOING).status_code == 303


@pytest.mark.parametrize("role", ROLES)
def test_who_may_publish(new_client, people, make_incident, role):
    entry = make_incident(
        people["author"], status=IncidentStatus.IN_REVIEW, responders=(people["responder"],)
    )
    found = incident(entry)
    found.narrative = "What happened"
    db.session.commit()
    response = new_client().login_as(people[role]).post(f"/entries/{entry.id}/publish")
    if role in PUBLISHERS:
        assert response.status_code == 303
        published = incident(entry)
        assert published.status is IncidentStatus.PUBLISHED
        assert published.published_at is not None and published.published_by_id == people[role].id
        assert status_history(entry)[-1] == ("in_review", "published", people[role].display_name)
    else:
        assert response.status_code == 403
        assert incident(entry).status is IncidentStatus.IN_REVIEW


def test_a_responder_is_told_who_may_publish(client, people, make_incident):
    entry = make_incident(
        people["author"], status=IncidentStatus.IN_REVIEW, responders=(people["responder"],)
    )
    response = client.login_as(people["responder"]).post(f"/entries/{entry.id}/publish")
    assert (
        "Only the incident&#39;s author, a lead of Platform or an admin can publish"
        in response.text
    )


def test_publishing_needs_a_saved_narrative_in_review(client, people, make_incident):
    entry = make_incident(people["author"], status=IncidentStatus.RESOLVED)
    assert client.login_as(people["author"]).post(f"/entries/{entry.id}/publish").status_code == 400
    assert incident(entry).status is IncidentStatus.RESOLVED


@pytest.mark.parametrize(
    "path",
    [
        "status",
        "responders",
        "timeline",
        "analyses",
        "review",
        "review/steps",
        "factors",
        "narrative",
        "publish",
        "promote",
    ],
)
def test_an_incident_the_viewer_cannot_see_is_404_everywhere(client, people, make_incident, path):
    entry = make_incident(people["author"], visibility="private")
    browser = client.login_as(people["admin"])
    assert browser.post(f"/entries/{entry.id}/{path}", {"to": "resolved"}).status_code == 404
    assert browser.get(f"/entries/{entry.id}/review").status_code == 404
    assert browser.get(f"/narratives/{entry.id}").status_code == 404


def test_publishing_under_htmx_returns_the_incident_sections(client, people, make_incident):
    entry = make_incident(people["author"], status=IncidentStatus.IN_REVIEW)
    incident(entry).narrative = "What happened"
    db.session.commit()
    response = client.login_as(people["lead"]).post(f"/entries/{entry.id}/publish", htmx=True)
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<div id="incident"')
    assert "Published: the whole organisation can read the narrative." in response.text
    assert f'href="/narratives/{entry.id}"' in response.text


def test_an_anonymous_incident_never_names_its_author_on_the_page(
    client, new_client, people, make_incident
):
    entry = make_incident(people["author"], anonymous=True, status=IncidentStatus.RESOLVED)
    author = client.login_as(people["author"])
    author.post(
        f"/entries/{entry.id}/timeline", {"occurred_at": "2026-11-20T09:10", "text": "Paged"}
    )
    author.post(f"/entries/{entry.id}/analyses", {"saw_and_did": "I rolled back."})
    page = new_client().login_as(people["teammate"]).get(f"/entries/{entry.id}").text
    sections = page[page.index('<div id="incident"') : page.index('id="improvements"')]
    assert "Author" not in sections
    assert "— a teammate" in sections and "<h3>a teammate</h3>" in sections
    assert "Author" in author.get(f"/entries/{entry.id}").text, "the author sees their own name"
