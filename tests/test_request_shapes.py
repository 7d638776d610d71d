"""Request shapes that once answered 500: each now gets a 4xx with a clear message, or is read
as absent where that is the product's rule (a malformed cursor is the first page).

The hostile review of issue 18 found them; ``tests/test_fuzz_routes.py`` looks for more.
"""

from __future__ import annotations

from typing import Any

import pytest

from learnapp.extensions import db
from tests.test_authorization_matrix import build_world, snapshot

BIG = str(2**63)  # one past SQLite's largest integer
HUGE = "9" * 30
TEAM = "entries/{entry_id}"  # the team-only incident of the world, which its author may edit

# (name, method, path, form, the author's timezone, statuses accepted, text on the page)
SHAPES: list[tuple[str, str, str, dict[str, str] | None, str, set[int], str]] = [
    ("feed cursor with superscript", "GET", "/?cursor=1²-1", None, "UTC", {200}, ""),
    (
        "feed cursor with Arabic digits",
        "GET",
        "/?cursor=\u0661-\u0661",
        None,
        "UTC",
        {200},
        "",
    ),
    ("feed cursor id past 2^63", "GET", f"/?cursor=1-{BIG}", None, "UTC", {200}, ""),
    ("incidents cursor with superscript", "GET", "/incidents?cursor=²-²", None, "UTC", {200}, ""),
    ("narratives cursor with superscript", "GET", "/narratives?cursor=1-²", None, "UTC", {200}, ""),
    ("history cursor with superscript", "GET", "/me?cursor=²-1", None, "UTC", {200}, ""),
    ("board after= with superscript", "GET", "/celebrate?after=²-1", None, "UTC", {200}, ""),
    ("board after= with Arabic digits", "GET", "/celebrate?after=1-\u0661", None, "UTC", {200}, ""),
    (
        "backlog after= with superscript",
        "GET",
        "/improvements?after=²~t1~1",
        None,
        "UTC",
        {200},
        "",
    ),
    ("search page= with superscript", "GET", "/search?q=outage&page=²", None, "UTC", {200}, ""),
    (
        "search page= with Arabic digits",
        "GET",
        "/search?q=outage&page=\u0661",
        None,
        "UTC",
        {200},
        "",
    ),
    (
        "backlog until the last day of 9999",
        "GET",
        "/improvements?since=&until=9999-12-31",
        None,
        "UTC",
        {422},
        "Choose a date between",
    ),
    (
        "backlog CSV until the last day of 9999",
        "GET",
        "/improvements.csv?since=&until=9999-12-31",
        None,
        "UTC",
        {422},
        "Choose a date between",
    ),
    (
        "backlog since the first day of year 1 in Tokyo",
        "GET",
        "/improvements?since=0001-01-01&until=",
        None,
        "Asia/Tokyo",
        {422},
        "Choose a date between",
    ),
    ("digest of week 9999-W52", "GET", "/digest/9999-W52", None, "UTC", {404}, "no digest"),
    ("digest of week 0001-W01", "GET", "/digest/0001-W01", None, "UTC", {404}, "no digest"),
    ("digest of a week in superscript", "GET", "/digest/²⁰²⁶-W03", None, "UTC", {404}, ""),
    (
        "timeline event at year 1 in Tokyo",
        "POST",
        f"/{TEAM}/timeline",
        {"occurred_at": "0001-01-01T00:10", "text": "Early"},
        "Asia/Tokyo",
        {422},
        "Choose a time between 2000 and now",
    ),
    (
        "timeline event at the end of 9999 in New York",
        "POST",
        f"/{TEAM}/timeline",
        {"occurred_at": "9999-12-31T23:30", "text": "Late"},
        "America/New_York",
        {422},
        "Choose a time between 2000 and now",
    ),
    (
        "timeline edit at year 1 in Tokyo",
        "POST",
        f"/{TEAM}/timeline/{{event_id}}/edit",
        {"event-{event_id}-occurred_at": "0001-01-01T00:10", "event-{event_id}-text": "Early"},
        "Asia/Tokyo",
        {422},
        "Choose a time between 2000 and now",
    ),
    (
        "incident resolved at the end of 9999 in New York",
        "POST",
        f"/{TEAM}/status",
        {"to": "resolved", "expected": "ongoing", "resolved_at": "9999-12-31T23:30"},
        "America/New_York",
        {422},
        "Choose a time between 2000 and now",
    ),
    (
        "incident declared at year 1 in Tokyo",
        "POST",
        "/entries",
        {
            "title": "Early outage",
            "kind": "incident",
            "visibility": "org",
            "incident-severity": "2",
            "incident-started_at": "0001-01-01T00:10",
            "incident-detected_at": "0001-01-01T00:20",
            "incident-impact": "None",
        },
        "Asia/Tokyo",
        {422},
        "Choose a time between 2000 and now",
    ),
    (
        "timeline event id past 2^63: edit",
        "GET",
        f"/{TEAM}/timeline/{BIG}/edit",
        None,
        "UTC",
        {404},
        "",
    ),
    (
        "timeline event id past 2^63: save",
        "POST",
        f"/{TEAM}/timeline/{BIG}/edit",
        {"occurred_at": "2026-11-20T09:30", "text": "x"},
        "UTC",
        {404},
        "",
    ),
    (
        "timeline event id past 2^63: delete",
        "POST",
        f"/{TEAM}/timeline/{BIG}/delete",
        {},
        "UTC",
        {404},
        "",
    ),
    ("factor id past 2^63: delete", "POST", f"/{TEAM}/factors/{BIG}/delete", {}, "UTC", {404}, ""),
    (
        "entry id of 30 digits: thanks",
        "POST",
        f"/entries/{HUGE}/thanks",
        {"on": "1"},
        "UTC",
        {404},
        "",
    ),
    ("improvement id past 2^63: cheer", "POST", f"/improvements/{BIG}/cheer", {}, "UTC", {404}, ""),
    ("person id past 2^63", "GET", f"/people/{BIG}", None, "UTC", {404}, ""),
    ("narrative id past 2^63", "GET", f"/narratives/{BIG}", None, "UTC", {404}, ""),
    ("entry id past 2^63: review", "GET", f"/entries/{BIG}/review", None, "UTC", {404}, ""),
    (
        "user id past 2^63: admin toggle",
        "POST",
        f"/admin/users/{BIG}/admin",
        {},
        "UTC",
        {403, 404},
        "",
    ),
    (
        "next= with CR/LF after signing in",
        "GET",
        "/login?next=/%0d%0aSet-Cookie:%20x=1",
        None,
        "UTC",
        {303},
        "",
    ),
    (
        "improvement move with next= holding CR/LF",
        "POST",
        "/improvements/{improvement_id}/status",
        {"to": "planned", "expected": "proposed", "next": "/\r\nSet-Cookie: x=1"},
        "UTC",
        {303},
        "",
    ),
]


@pytest.fixture
def world(make_user: Any, make_entry: Any) -> dict[str, Any]:
    return build_world(make_user, make_entry)


def signed_in_as_author(world: dict[str, Any], new_client: Any, zone: str) -> Any:
    author = world["people"]["author"]
    author.timezone = zone
    db.session.commit()
    return new_client().login_as(author)


@pytest.mark.parametrize(
    ("method", "path", "form", "zone", "statuses", "message"),
    [pytest.param(*shape[1:], id=shape[0]) for shape in SHAPES],
)
def test_a_once_fatal_request_shape_gets_a_clear_answer(
    world, new_client, method, path, form, zone, statuses, message
):
    browser = signed_in_as_author(world, new_client, zone)
    url = path.format(**world["ids"]["team"])
    before = snapshot()
    if form is not None:  # the fields of one timeline event carry its id
        form = {name.format(**world["ids"]["team"]): value for name, value in form.items()}
    response = browser.get(url) if method == "GET" else browser.post(url, form)
    response.get_data()
    assert response.status_code in statuses, response.text[:300]
    assert message in response.text
    for name, value in response.headers.items():
        assert "\r" not in value and "\n" not in value, f"{name} carries a line break"
    if response.status_code >= 400:
        assert snapshot() == before, "refused, yet the database changed"


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        pytest.param("[1, 2]", "application/json", id="JSON array"),
        pytest.param('"title"', "application/json", id="JSON string"),
        pytest.param("null", "application/json", id="JSON null"),
        pytest.param('{"title": ["a", "b"]}', "application/json", id="JSON object of a list"),
        pytest.param("[1,", "application/json", id="JSON cut short"),
        pytest.param("title=x", "text/plain", id="text/plain form"),
    ],
)
@pytest.mark.parametrize("path", ["/entries", "/{TEAM}/timeline", "/settings"])
def test_a_body_that_is_no_form_is_refused_with_4xx(world, new_client, body, content_type, path):
    browser = signed_in_as_author(world, new_client, "UTC")
    url = path.replace("{TEAM}", TEAM).format(**world["ids"]["team"])
    before = snapshot()
    token = browser.csrf_token()
    response = browser._isolated(
        browser.raw.post,
        url,
        data=body,
        content_type=content_type,
        headers={"X-CSRFToken": token},
    )
    assert 400 <= response.status_code < 500, response.text[:300]
    assert snapshot() == before


@pytest.mark.parametrize("text", ["²", "1²", "\u0661\u0662", "9" * 5000])
def test_time_lost_in_other_digits_is_unclear_not_a_crash(text):
    from learnapp.validation import parse_duration

    with pytest.raises(ValueError):
        parse_duration(text)
