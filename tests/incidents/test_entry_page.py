"""The whole entry page keeps every section, whichever feature's form came back with errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from learnapp.extensions import db
from learnapp.incidents.models import (
    Analysis,
    Incident,
    Responder,
    ReviewStep,
    ReviewStepName,
    TimelineEvent,
)
from learnapp.incidents.queries import load_parts
from learnapp.models import ContributingFactor, FactorCategory, User
from tests.conftest import recorded_sql
from tests.incidents.conftest import incident
from tests.test_query_counts import query_plans, whole_table_scans


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("improvements", {"title": ""}),
        ("no-change", {"reason": ""}),
    ],
)
def test_a_refused_improvement_form_without_js_keeps_the_incident_sections(
    client, people, incident_entry, path, data
):
    response = client.login_as(people["author"]).post(f"/entries/{incident_entry.id}/{path}", data)
    assert response.status_code == 422
    page = response.text
    assert 'id="improvements"' in page
    assert "Timeline" in page and "Checkout failed for most customers" in page


def add_parts(found: Incident, people: list[User], start: int, count: int) -> None:
    """``count`` more of each part of ``found``'s page: events (latest added first),
    responders, analyses, ticked review steps and contributing factors."""
    began = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    steps = list(ReviewStepName)
    for number in range(start, start + count):
        person = people[number]
        db.session.add_all(
            [
                TimelineEvent(
                    incident_id=found.id,
                    occurred_at=began + timedelta(minutes=100 - number),
                    text=f"Event {number}",
                    author=person,
                    idempotency_key=f"event-{number}",
                ),
                Responder(incident_id=found.id, user=person),
                Analysis(incident_id=found.id, author=person, saw_and_did=f"Saw {number}"),
                ContributingFactor(
                    entry_id=found.entry_id,
                    category=FactorCategory.TECHNICAL,
                    factor=f"factor {number}",
                ),
            ]
        )
        if number < len(steps):
            db.session.add(ReviewStep(incident_id=found.id, step=steps[number], ticked_by=person))
    db.session.commit()


def test_an_incident_page_reads_in_six_statements_however_long_its_lists(
    client, make_user, people, incident_entry
):
    crowd = [make_user(f"Helper{number}") for number in range(12)]
    found = incident(incident_entry)
    browser = client.login_as(people["author"])
    page = f"/entries/{incident_entry.id}"

    def statements() -> int:
        browser.get(page)
        with recorded_sql() as sent:
            assert browser.get(page).status_code == 200
        return len(sent)

    add_parts(found, crowd, 0, 1)
    few = statements()
    add_parts(found, crowd, 1, 11)
    many = statements()
    # BEGIN, the signed-in user, the entry with its tags and incident, its improvements,
    # the incident's five lists in one statement, and related lessons.
    assert many == few <= 6
    text = browser.get(page).text
    assert "Event 11" in text and "Helper11" in text


def test_the_incident_parts_come_back_each_in_its_own_order(make_user, people, incident_entry):
    crowd = [make_user(f"Helper{number}") for number in range(4)]
    found = incident(incident_entry)
    add_parts(found, crowd, 0, 4)
    db.session.expire_all()
    parts = load_parts(incident(incident_entry))
    # Events were added latest first; the timeline reads earliest first.
    assert [e.text for e in parts.events] == ["Event 3", "Event 2", "Event 1", "Event 0"]
    assert [e.author.display_name for e in parts.events] == [
        "Helper3",
        "Helper2",
        "Helper1",
        "Helper0",
    ]
    # The declarer joined first, then the fixture's responder.
    assert [r.user.display_name for r in parts.responders] == [
        "Author",
        "Responder",
        "Helper0",
        "Helper1",
        "Helper2",
        "Helper3",
    ]
    assert [a.saw_and_did for a in parts.analyses] == ["Saw 0", "Saw 1", "Saw 2", "Saw 3"]
    assert {s: step.ticked_by.display_name for s, step in parts.steps.items()} == {
        step: f"Helper{number}" for number, step in enumerate(list(ReviewStepName)[:4])
    }
    assert [f.factor for f in parts.factors] == [f"factor {n}" for n in range(4)]


def test_a_new_incident_loads_its_declarer_and_empty_lists(make_incident, people):
    entry = make_incident(people["author"])
    parts = load_parts(incident(entry))
    assert [r.user.display_name for r in parts.responders] == ["Author"]
    assert (parts.events, parts.analyses, parts.steps, parts.factors) == ([], [], {}, [])


@pytest.mark.sqlite_only("reads SQLite's query plans")
def test_an_incident_page_reads_no_table_whole(client, make_user, people, incident_entry):
    add_parts(incident(incident_entry), [make_user("Helper")], 0, 1)
    client.login_as(people["author"])
    plans = query_plans(client, f"/entries/{incident_entry.id}")
    assert len(plans) == 5  # the user, the entry, its improvements, its parts, related lessons
    assert [whole_table_scans(plan) for _, plan in plans] == [[]] * 5
