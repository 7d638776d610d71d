"""Times entered in the reader's timezone, stored in UTC: DST gaps and overlaps, durations,
and dates on the timeline once an incident spans days."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from learnapp.extensions import db
from learnapp.incidents.models import IncidentStatus
from learnapp.incidents.times import is_ambiguous, is_nonexistent, to_utc
from learnapp.models import utcnow
from tests.incidents.conftest import incident

# (zone, local time typed, UTC stored): ordinary times, and the first of two when ambiguous.
STORED = [
    ("Europe/London", "2026-07-01T12:00", "2026-07-01T11:00:00+00:00"),
    ("Europe/London", "2026-03-29T00:59", "2026-03-29T00:59:00+00:00"),
    ("Europe/London", "2026-03-29T02:00", "2026-03-29T01:00:00+00:00"),
    ("Europe/London", "2026-10-25T01:30", "2026-10-25T00:30:00+00:00"),
    ("America/New_York", "2026-11-01T01:30", "2026-11-01T05:30:00+00:00"),
    ("America/New_York", "2026-03-08T03:00", "2026-03-08T07:00:00+00:00"),
    ("UTC", "2026-03-29T01:30", "2026-03-29T01:30:00+00:00"),
]
# Local times that never happened: the clocks went forward over them.
GAPS = [
    ("Europe/London", "2026-03-29T01:00"),
    ("Europe/London", "2026-03-29T01:59"),
    ("America/New_York", "2026-03-08T02:30"),
]


def set_zone(user, name):
    user.timezone = name
    db.session.commit()


@pytest.mark.parametrize(("zone", "typed", "stored"), STORED)
def test_times_are_read_in_the_viewers_zone_and_stored_in_utc(
    client, people, incident_entry, zone, typed, stored
):
    set_zone(people["author"], zone)
    response = client.login_as(people["author"]).post(
        f"/entries/{incident_entry.id}/timeline", {"occurred_at": typed, "text": "Alert fired"}
    )
    assert response.status_code == 303
    assert incident(incident_entry).events[0].occurred_at.isoformat() == stored


@pytest.mark.parametrize(("zone", "typed"), GAPS)
def test_a_time_that_never_happened_gets_a_clear_field_error(
    client, people, incident_entry, zone, typed
):
    set_zone(people["author"], zone)
    response = client.login_as(people["author"]).post(
        f"/entries/{incident_entry.id}/timeline",
        {"occurred_at": typed, "text": "Alert fired"},
        htmx=True,
    )
    assert response.status_code == 422
    assert f"did not exist in {zone}: the clocks went forward" in response.text
    assert 'value="Alert fired"' in response.text, "the text is kept"
    assert incident(incident_entry).events == []


def test_an_ambiguous_time_says_which_one_was_kept(client, people, incident_entry):
    set_zone(people["author"], "Europe/London")
    browser = client.login_as(people["author"])
    refused = browser.post(
        f"/entries/{incident_entry.id}/timeline",
        {"occurred_at": "2026-10-25T01:30", "text": ""},
        htmx=True,
    )
    assert refused.status_code == 422
    assert "01:30 happened twice in Europe/London that day; taken as the first one" in refused.text
    assert "(UTC+01:00, before the clocks went back)" in refused.text


def test_the_dst_helpers_agree_with_zoneinfo():
    london = ZoneInfo("Europe/London")
    assert is_nonexistent(datetime(2026, 3, 29, 1, 30), london)
    assert not is_ambiguous(datetime(2026, 3, 29, 1, 30), london)
    assert is_ambiguous(datetime(2026, 10, 25, 1, 30), london)
    assert to_utc(datetime(2026, 10, 25, 1, 30), london) == datetime(
        2026, 10, 25, 0, 30, tzinfo=UTC
    )
    assert not is_ambiguous(datetime(2026, 10, 25, 2, 30), london)


def test_the_form_shows_stored_times_back_in_the_viewers_zone(client, people, incident_entry):
    set_zone(people["author"], "America/New_York")
    browser = client.login_as(people["author"])
    browser.post(
        f"/entries/{incident_entry.id}/timeline",
        {"occurred_at": "2026-11-20T09:15", "text": "Paged the on-call"},
    )
    event = incident(incident_entry).events[0]
    assert event.occurred_at.isoformat() == "2026-11-20T14:15:00+00:00"
    edit = browser.get(f"/entries/{incident_entry.id}/timeline/{event.id}/edit").text
    assert 'value="2026-11-20T09:15"' in edit


def test_durations_are_computed_and_shown(client, people, make_incident):
    started = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)
    entry = make_incident(people["author"], status=IncidentStatus.RESOLVED, started_at=started)
    found = incident(entry)
    assert found.time_to_detect == timedelta(minutes=5)
    assert found.time_to_resolve == timedelta(minutes=50)
    page = client.login_as(people["author"]).get(f"/entries/{entry.id}").text
    assert 'time to detect <time datetime="P0DT0H5M0S">5 min</time>' in page
    assert 'time to resolve <time datetime="P0DT0H50M0S">50 min</time>' in page


def test_an_ongoing_incident_has_no_time_to_resolve_yet(client, people, make_incident):
    entry = make_incident(people["author"], started_at=utcnow() - timedelta(hours=3))
    assert incident(entry).time_to_resolve is None
    page = client.login_as(people["author"]).get(f"/entries/{entry.id}").text
    assert "not yet <small>ongoing for 3 h</small>" in page


def test_resolving_before_the_start_is_refused(client, people, make_incident):
    started = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)
    entry = make_incident(people["author"], started_at=started)
    response = client.login_as(people["author"]).post(
        f"/entries/{entry.id}/status",
        {"to": "resolved", "expected": "ongoing", "resolved_at": "2026-11-20T13:00"},
    )
    assert response.status_code == 422
    assert "It was resolved after it started" in response.text
    assert incident(entry).status is IncidentStatus.ONGOING


def add_event(browser, entry, when, text):
    response = browser.post(f"/entries/{entry.id}/timeline", {"occurred_at": when, "text": text})
    assert response.status_code == 303


def test_the_timeline_shows_dates_only_when_the_incident_spans_days(client, people, make_incident):
    started = datetime(2026, 11, 20, 22, 0, tzinfo=UTC)
    entry = make_incident(people["author"], started_at=started)
    browser = client.login_as(people["author"])
    add_event(browser, entry, "2026-11-20T23:10", "Rolled back")
    one_day = browser.get(f"/entries/{entry.id}").text
    assert ">23:10</time>" in one_day

    add_event(browser, entry, "2026-11-21T00:20", "Still failing")
    two_days = browser.get(f"/entries/{entry.id}").text
    assert ">20 Nov 23:10</time>" in two_days and ">21 Nov 00:20</time>" in two_days
