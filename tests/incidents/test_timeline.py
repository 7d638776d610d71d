"""The timeline: add events inline, always sorted, edit and delete your own, both faces,
and a page whose query count does not grow with the timeline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from learnapp.extensions import db
from learnapp.incidents.models import IncidentStatus, TimelineEvent
from tests.conftest import recorded_sql
from tests.incidents.conftest import events_of, incident


def add(browser, entry, when, text, htmx=False, **extra):
    data = {"occurred_at": when, "text": text, **extra}
    return browser.post(f"/entries/{entry.id}/timeline", data, htmx=htmx)


def test_adding_an_event_under_htmx_returns_the_timeline(client, people, incident_entry):
    browser = client.login_as(people["teammate"])
    response = add(browser, incident_entry, "2026-11-20T14:05", "Alerts fired", htmx=True)
    assert response.status_code == 200
    html = response.text
    assert html.lstrip().startswith('<section id="timeline"')
    assert "Alerts fired" in html and "<html" not in html
    assert 'hx-swap-oob="innerHTML:#announcer">Event added.' in html
    assert events_of(incident_entry) == [("Alerts fired", "Teammate")]


def test_adding_an_event_without_javascript_redirects_to_the_timeline(
    client, people, incident_entry
):
    response = add(client.login_as(people["author"]), incident_entry, "2026-11-20T14:05", "Paged")
    assert response.status_code == 303
    assert response.headers["Location"] == f"/entries/{incident_entry.id}#timeline"


def test_adding_an_event_makes_its_author_a_responder(client, people, incident_entry):
    browser = client.login_as(people["teammate"])
    add(browser, incident_entry, "2026-11-20T14:05", "Found the bad config")
    page = browser.get(f"/entries/{incident_entry.id}").text
    assert "<li>Teammate</li>" in page and "I\u2019m on it" not in page


def test_events_are_always_sorted_by_time(client, people, incident_entry):
    browser = client.login_as(people["author"])
    add(browser, incident_entry, "2026-11-20T14:30", "Rolled back")
    add(browser, incident_entry, "2026-11-20T14:05", "Alerts fired")
    add(browser, incident_entry, "2026-11-20T14:10", "Paged the on-call")
    assert [text for text, _ in events_of(incident_entry)] == [
        "Alerts fired",
        "Paged the on-call",
        "Rolled back",
    ]
    page = browser.get(f"/entries/{incident_entry.id}").text
    assert page.index("Alerts fired") < page.index("Paged the on-call") < page.index("Rolled back")


@pytest.mark.parametrize(
    ("when", "text", "error"),
    [
        ("", "Alerts fired", "Please give a date and time."),
        ("2026-11-20T14:05", "", "Please fill this in."),
        ("2026-11-20T14:05", "x" * 501, "Keep it under 500 characters."),
        ("2026-11-20T14:05", "bell\x07", "control character"),
        ("14:05", "Alerts fired", "Write it as a date and time"),
    ],
)
def test_bad_events_are_refused_in_place(client, people, incident_entry, when, text, error):
    response = add(client.login_as(people["author"]), incident_entry, when, text, htmx=True)
    assert response.status_code == 422
    assert error in response.text
    assert response.text.lstrip().startswith('<section id="timeline"')
    assert events_of(incident_entry) == []


def test_a_resent_form_adds_the_event_once(client, people, incident_entry):
    browser = client.login_as(people["author"])
    for _ in range(2):
        add(browser, incident_entry, "2026-11-20T14:05", "Alerts fired", idempotency_key="k-1")
    assert len(events_of(incident_entry)) == 1


@pytest.fixture
def event(client, people, incident_entry):
    add(client.login_as(people["author"]), incident_entry, "2026-11-20T14:05", "Alerts fired")
    return incident(incident_entry).events[0]


def edit_url(entry, event):
    return f"/entries/{entry.id}/timeline/{event.id}/edit"


def form_data(event, when, text):
    prefix = f"event-{event.id}-"
    return {prefix + "occurred_at": when, prefix + "text": text}


@pytest.mark.parametrize("htmx", [False, True])
def test_the_author_edits_an_event_and_the_timeline_resorts(
    client, people, incident_entry, event, htmx
):
    browser = client.login_as(people["author"])
    add(browser, incident_entry, "2026-11-20T14:10", "Paged")
    form = browser.get(edit_url(incident_entry, event), htmx=htmx)
    assert form.status_code == 200
    assert ('<li id="event-' in form.text.lstrip()[:20]) is htmx
    assert 'value="Alerts fired"' in form.text
    response = browser.post(
        edit_url(incident_entry, event),
        form_data(event, "2026-11-20T14:20", "Alerts, late"),
        htmx=htmx,
    )
    assert response.status_code == (200 if htmx else 303)
    assert [text for text, _ in events_of(incident_entry)] == ["Paged", "Alerts, late"]


def test_an_invalid_edit_comes_back_in_the_line(client, people, incident_entry, event):
    response = client.login_as(people["author"]).post(
        edit_url(incident_entry, event), form_data(event, "2026-11-20T14:20", ""), htmx=True
    )
    assert response.status_code == 422
    assert response.headers["HX-Retarget"] == f"#event-{event.id}"
    assert response.text.lstrip().startswith(f'<li id="event-{event.id}"')


@pytest.mark.parametrize("htmx", [False, True])
def test_the_author_deletes_an_event(client, people, incident_entry, event, htmx):
    response = client.login_as(people["author"]).post(
        f"/entries/{incident_entry.id}/timeline/{event.id}/delete", htmx=htmx
    )
    assert response.status_code == (200 if htmx else 303)
    assert events_of(incident_entry) == []


@pytest.mark.parametrize("role", ["responder", "lead", "admin", "teammate"])
def test_nobody_else_edits_or_deletes_an_event(new_client, people, incident_entry, event, role):
    browser = new_client().login_as(people[role])
    edit = browser.post(
        edit_url(incident_entry, event), form_data(event, "2026-11-20T14:20", "Mine")
    )
    delete = browser.post(f"/entries/{incident_entry.id}/timeline/{event.id}/delete")
    assert edit.status_code == delete.status_code == 403
    assert "Only the person who added this event (Author) can change it." in delete.text
    assert events_of(incident_entry) == [("Alerts fired", "Author")]


def test_another_incidents_event_is_404(client, people, make_incident, event):
    other = make_incident(people["author"])
    response = client.login_as(people["author"]).post(
        f"/entries/{other.id}/timeline/{event.id}/delete"
    )
    assert response.status_code == 404


def test_a_published_incidents_timeline_is_closed(client, people, make_incident):
    entry = make_incident(people["author"], status=IncidentStatus.PUBLISHED)
    response = add(client.login_as(people["author"]), entry, "2026-11-20T14:05", "Late")
    assert response.status_code == 403
    assert "closed" in response.text


def test_the_entry_pages_query_count_does_not_grow_with_the_timeline(
    client, people, incident_entry
):
    browser = client.login_as(people["author"])
    found = incident(incident_entry)
    start = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)
    writers = [people["author"], people["responder"], people["teammate"], people["lead"]]

    def page_queries() -> int:
        with recorded_sql() as statements:
            assert browser.get(f"/entries/{incident_entry.id}").status_code == 200
        return len(statements)

    db.session.add(
        TimelineEvent(
            incident_id=found.id,
            occurred_at=start,
            text="First",
            author=people["author"],
            idempotency_key="a",
        )
    )
    db.session.commit()
    few = page_queries()
    for number, writer in enumerate(writers * 5):
        db.session.add(
            TimelineEvent(
                incident_id=found.id,
                occurred_at=start + timedelta(minutes=number),
                text=f"Event {number}",
                author=writer,
                idempotency_key=f"k{number}",
            )
        )
    db.session.commit()
    assert page_queries() == few
