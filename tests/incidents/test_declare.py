"""Declaring an incident from the full entry form, promoting a lesson, and severity labels."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from learnapp import create_app
from learnapp.extensions import db
from learnapp.incidents.models import Incident, IncidentStatus, Responder
from learnapp.models import Entry, Kind
from tests.incidents.conftest import incident, status_history

DECLARATION = {
    "title": "Checkout down",
    "kind": "incident",
    "visibility": "org",
    "incident-severity": "1",
    "incident-started_at": "2026-11-20T14:02",
    "incident-detected_at": "2026-11-20T14:05",
    "incident-impact": "No payments for 25 minutes",
}


def incident_count() -> int:
    db.session.commit()
    return db.session.scalar(select(func.count(Incident.id)))


@pytest.mark.parametrize("htmx", [False, True])
def test_declaring_from_the_full_form_creates_the_entry_and_its_incident(client, people, htmx):
    response = client.login_as(people["author"]).post("/entries", DECLARATION, htmx=htmx)
    assert response.status_code == (200 if htmx else 303)
    entry = db.session.scalars(select(Entry)).one()
    assert entry.kind is Kind.INCIDENT
    declared = incident(entry)
    assert declared.status is IncidentStatus.ONGOING and declared.severity == 1
    assert declared.started_at.isoformat() == "2026-11-20T14:02:00+00:00"
    assert declared.impact == "No payments for 25 minutes"
    assert status_history(entry) == [(None, "ongoing", "Author")]
    assert db.session.scalar(select(Responder.user_id)) == people["author"].id


def test_a_lesson_ignores_the_hidden_incident_fields(client, people):
    lesson = {**DECLARATION, "kind": "lesson", "incident-started_at": "not a time"}
    response = client.login_as(people["author"]).post("/entries", lesson)
    assert response.status_code == 303
    assert incident_count() == 0


@pytest.mark.parametrize("htmx", [False, True])
def test_a_refused_lesson_shows_the_incident_fields_again_with_their_text(client, people, htmx):
    # A lesson is read without the incident's fields; the form shown again has them all.
    lesson = {**DECLARATION, "kind": "lesson", "title": "", "incident-started_at": "not a time"}
    response = client.login_as(people["author"]).post("/entries", lesson, htmx=htmx)
    assert response.status_code == 422
    assert "Please fill this in." in response.text
    assert 'name="incident-severity"' in response.text
    assert "No payments for 25 minutes" in response.text, "the impact is kept"
    assert 'value="not a time"' in response.text
    assert "Write it as a date and time" not in response.text, "a lesson's are not checked"
    assert db.session.scalar(select(func.count(Entry.id))) == 0


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"incident-started_at": ""}, "Please give a date and time."),
        ({"incident-detected_at": "yesterday"}, "Write it as a date and time"),
        ({"incident-detected_at": "2026-11-20T13:00"}, "Detection comes after the start."),
        ({"incident-severity": "5"}, "Not a valid choice"),
        ({"incident-started_at": "1999-12-31T23:00"}, "between 2000 and now"),
        ({"incident-started_at": "2099-01-01T10:00"}, "between 2000 and now"),
    ],
)
def test_bad_declarations_are_refused_with_the_text_kept(client, people, changes, error):
    response = client.login_as(people["author"]).post("/entries", {**DECLARATION, **changes})
    assert response.status_code == 422
    assert error in response.text
    assert "No payments for 25 minutes" in response.text, "the impact is kept"
    assert incident_count() == 0
    assert db.session.scalar(select(func.count(Entry.id))) == 0, "no entry without its incident"


def test_the_full_form_offers_the_incident_fields(client, people):
    page = client.login_as(people["author"]).get("/entries/new?kind=incident").text
    assert 'name="incident-severity"' in page
    assert 'type="datetime-local"' in page and 'name="incident-started_at"' in page
    assert "SEV1 — Critical:" in page


def test_the_quick_entry_can_declare_under_htmx_too(client, people):
    response = client.login_as(people["author"]).post("/entries", DECLARATION, htmx=True)
    assert response.status_code == 200 and "Checkout down" in response.text
    assert incident_count() == 1


PROMOTE = {"severity": "3", "started_at": "2026-11-20T09:00", "detected_at": "2026-11-20T09:30"}


@pytest.mark.parametrize(
    ("role", "status"),
    [("author", 303), ("lead", 303), ("admin", 303), ("teammate", 403), ("other_team", 403)],
)
def test_who_may_promote_a_lesson(new_client, people, make_entry, role, status):
    lesson = make_entry(people["author"], title="Slow deploys")
    response = new_client().login_as(people[role]).post(f"/entries/{lesson.id}/promote", PROMOTE)
    assert response.status_code == status
    if status == 403:
        assert "Only the incident&#39;s author, a lead of Platform or an admin" in response.text
        assert incident_count() == 0
    else:
        assert incident(lesson).severity == 3
        assert db.session.get(Entry, lesson.id).kind is Kind.INCIDENT


def test_promoting_under_htmx_returns_the_incident_sections(client, people, make_entry):
    lesson = make_entry(people["author"])
    browser = client.login_as(people["author"])
    refused = browser.post(
        f"/entries/{lesson.id}/promote", {**PROMOTE, "started_at": ""}, htmx=True
    )
    assert refused.status_code == 422
    assert refused.text.lstrip().startswith('<div id="incident"')
    assert "Please give a date and time." in refused.text
    response = browser.post(f"/entries/{lesson.id}/promote", PROMOTE, htmx=True)
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<div id="incident"')
    assert "The focus is fixing." in response.text and "<html" not in response.text


def test_promoting_an_entry_the_viewer_cannot_see_is_404(client, people, make_entry):
    private = make_entry(people["author"], visibility="private")
    response = client.login_as(people["admin"]).post(f"/entries/{private.id}/promote", PROMOTE)
    assert response.status_code == 404


def test_the_lesson_page_offers_to_declare_only_to_those_who_may(client, people, make_entry):
    lesson = make_entry(people["author"])
    assert (
        "Declare an incident" in client.login_as(people["author"]).get(f"/entries/{lesson.id}").text
    )
    other = client.login_as(people["teammate"]).get(f"/entries/{lesson.id}").text
    assert "Declare an incident" not in other


def test_severity_labels_come_from_configuration(app, client, people, make_incident, tmp_path):
    entry = make_incident(people["author"])
    app.config["SEVERITY_LABELS"] = "Sky falls | Big | Small | Tiny"
    page = client.login_as(people["author"]).get(f"/entries/{entry.id}").text
    assert "SEV2: Big" in page


def test_severity_labels_must_name_four_levels(tmp_path):
    with pytest.raises(ValueError, match="four one-line meanings"):
        create_app(
            {
                "TESTING": True,
                "SECRET_KEY": "x",
                "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}",
                "SEVERITY_LABELS": "Bad | Worse",
            }
        )
