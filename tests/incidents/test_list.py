"""``GET /incidents``: filters, durations, visibility and keyset pages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from learnapp.incidents.models import IncidentStatus
from tests.conftest import recorded_sql


@pytest.fixture
def listed(make_incident, people):
    base = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
    return {
        "ongoing": make_incident(people["author"], title="DNS flaps", started_at=base),
        "resolved": make_incident(
            people["author"],
            status=IncidentStatus.RESOLVED,
            title="Checkout down",
            started_at=base + timedelta(days=1),
        ),
        "payments": make_incident(
            people["other_team"], title="Refunds stuck", started_at=base + timedelta(days=2)
        ),
        "private": make_incident(people["author"], title="Secret outage", visibility="private"),
    }


def titles(html: str) -> list[str]:
    """The incident titles on a page, in the order shown."""
    names = ["DNS flaps", "Checkout down", "Refunds stuck", "Secret outage"]
    return [name for _, name in sorted((html.index(n), n) for n in names if n in html)]


def test_incidents_are_listed_latest_first_with_durations(client, people, listed):
    page = client.login_as(people["teammate"]).get("/incidents").text
    assert titles(page) == ["Refunds stuck", "Checkout down", "DNS flaps"]
    assert "detected after 5 min" in page and "resolved after 50 min" in page
    assert "ongoing for" in page


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=ongoing", ["Refunds stuck", "DNS flaps"]),
        ("status=resolved", ["Checkout down"]),
        ("severity=2", ["Refunds stuck", "Checkout down", "DNS flaps"]),
        ("severity=1", []),
        ("team=2", ["Refunds stuck"]),
    ],
)
def test_filters(client, people, listed, query, expected):
    assert titles(client.login_as(people["teammate"]).get(f"/incidents?{query}").text) == expected


@pytest.mark.parametrize("query", ["status=fixed", "severity=9", "team=x"])
def test_bad_filters_say_so_and_show_everything(client, people, listed, query):
    response = client.login_as(people["teammate"]).get(f"/incidents?{query}")
    assert response.status_code == 422
    assert "field-errors" in response.text and "Secret outage" not in response.text


def test_only_visible_incidents_are_listed(client, people, listed):
    assert "Secret outage" not in client.login_as(people["teammate"]).get("/incidents").text
    assert "Secret outage" in client.login_as(people["author"]).get("/incidents").text


def test_pages_load_more_in_both_faces(app, client, people, listed):
    app.config["INCIDENT_PAGE_SIZE"] = 2
    browser = client.login_as(people["teammate"])
    page = browser.get("/incidents").text
    assert titles(page) == ["Refunds stuck", "Checkout down"]
    more = page[page.index('href="/incidents?cursor=') + 6 :].split('"')[0].replace("&amp;", "&")
    fragment = browser.get(more, htmx=True)
    assert titles(fragment.text) == ["DNS flaps"] and "<html" not in fragment.text
    assert titles(browser.get(more).text) == ["DNS flaps"]


def test_the_list_query_count_does_not_grow_with_rows(client, people, make_incident):
    browser = client.login_as(people["teammate"])
    make_incident(people["author"])
    with recorded_sql() as few:
        browser.get("/incidents")
    for _ in range(4):
        make_incident(people["other_team"])
    with recorded_sql() as many:
        browser.get("/incidents")
    assert len(many) == len(few)


def test_the_main_navigation_links_to_incidents(client, people):
    page = client.login_as(people["teammate"]).get("/incidents").text
    assert '<a href="/incidents" aria-current="page">Incidents</a>' in page
