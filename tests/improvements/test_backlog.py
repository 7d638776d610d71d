"""The backlog: filters, sorts, keyset pages, both faces, CSV export and formula injection."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime, timedelta

import pytest

from learnapp.improvements.models import ImprovementType, Status
from learnapp.models import Visibility
from tests.conftest import recorded_sql

DAY = timedelta(days=1)
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def titles(html: str) -> list[str]:
    return re.findall(r'class="improvement-title" href="[^"]+">([^<]+)</a>', html)


@pytest.fixture
def backlog(people, entry, make_entry, make_improvement):
    """Improvements with known priorities, ages, owners, types, due dates and statuses."""
    owner, lead = people["owner"], people["lead"]
    payments = make_entry(people["other_team"], title="Payments lesson")
    make = make_improvement
    make(entry, owner, title="A-p2-old", priority=2, created_at=T0, due_date=date(2027, 3, 1))
    make(
        entry,
        lead,
        title="B-p1-new",
        priority=1,
        created_at=T0 + 5 * DAY,
        type=ImprovementType.CODE,
    )
    make(
        entry,
        owner,
        Status.IN_PROGRESS,
        title="C-p3-mid",
        priority=3,
        created_at=T0 + 2 * DAY,
        due_date=date(2020, 1, 1),
    )
    make(
        payments,
        people["other_team"],
        title="D-p1-old",
        priority=1,
        created_at=T0 + DAY,
        due_date=date(2027, 6, 1),
    )
    make(
        entry,
        owner,
        Status.DONE,
        title="E-done",
        created_at=T0,
        done_at=T0 + DAY,
        due_date=date(2020, 1, 1),
    )
    make(entry, lead, Status.DROPPED, title="F-dropped", created_at=T0)
    private = make_entry(people["teammate"], visibility=Visibility.PRIVATE)
    make(private, people["teammate"], title="G-private")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["D-p1-old", "B-p1-new", "A-p2-old", "C-p3-mid"]),
        ("?sort=age", ["A-p2-old", "D-p1-old", "C-p3-mid", "B-p1-new"]),
        ("?sort=due", ["C-p3-mid", "A-p2-old", "D-p1-old", "B-p1-new"]),
        ("?status=done", ["E-done"]),
        ("?status=dropped", ["F-dropped"]),
        ("?status=in_progress", ["C-p3-mid"]),
        (
            "?status=all&sort=age",
            ["A-p2-old", "E-done", "F-dropped", "D-p1-old", "C-p3-mid", "B-p1-new"],
        ),
        ("?owner=me", ["A-p2-old", "C-p3-mid"]),
        ("?type=code", ["B-p1-new"]),
        ("?overdue=y", ["C-p3-mid"]),
        ("?team=TEAM_PAYMENTS", ["D-p1-old"]),
    ],
)
def test_filters_and_sorts(client, people, teams, backlog, query, expected):
    query = query.replace("TEAM_PAYMENTS", str(teams["payments"].id))
    page = client.login_as(people["owner"]).get(f"/improvements{query}")
    assert page.status_code == 200
    assert titles(page.text) == expected


def test_owner_filter_by_person(client, people, backlog):
    page = client.login_as(people["owner"]).get(f"/improvements?owner={people['lead'].id}")
    assert titles(page.text) == ["B-p1-new"]


def test_overdue_items_stand_out(client, people, backlog):
    page = client.login_as(people["owner"]).get("/improvements?sort=due").text
    item = page[page.index("C-p3-mid") - 400 : page.index("C-p3-mid")]
    assert "overdue" in item
    assert page.count("badge-overdue") == 1, "a done item past its date is not overdue"


@pytest.mark.parametrize(
    "query",
    [
        "?status=bogus",
        "?sort=sideways",
        "?owner=abc",
        "?since=yesterday",
        "?since=2026-05-01&until=2026-04-01",
    ],
)
def test_invalid_filters_answer_422_with_the_form(client, people, backlog, query):
    page = client.login_as(people["owner"]).get(f"/improvements{query}")
    assert page.status_code == 422
    assert 'class="field-errors"' in page.text
    assert titles(page.text), "the default backlog still shows"


def test_htmx_filter_returns_results_and_load_more_returns_items(app, client, people, backlog):
    app.config["BACKLOG_PAGE_SIZE"] = 2
    browser = client.login_as(people["owner"])
    results = browser.get("/improvements?sort=age", htmx=True)
    assert results.status_code == 200 and "<html" not in results.text
    assert 'class="figures"' in results.text
    assert titles(results.text) == ["A-p2-old", "D-p1-old"]
    more_url = (
        re.search(r'hx-get="([^"]+after=[^"]+)"', results.text).group(1).replace("&amp;", "&")
    )
    more = browser.get(more_url, htmx=True)
    assert 'class="figures"' not in more.text
    assert titles(more.text) == ["C-p3-mid", "B-p1-new"]
    assert 'id="load-more"' not in more.text


@pytest.mark.parametrize("sort", ["priority", "age", "due"])
def test_keyset_pages_cover_every_item_once(app, client, people, backlog, sort):
    app.config["BACKLOG_PAGE_SIZE"] = 1
    browser = client.login_as(people["owner"])
    everything = titles(browser.get(f"/improvements?status=all&sort={sort}&per=all").text)
    url, seen = f"/improvements?status=all&sort={sort}", []
    while url:
        html = browser.get(url).text
        seen += titles(html)
        found = re.search(r'<a href="([^"]+after=[^"]+)"', html)
        url = found.group(1).replace("&amp;", "&") if found else None
    assert len(seen) == len(set(seen)) == 6
    assert seen[:1] == everything[:1]


@pytest.mark.parametrize(
    "after", ["junk", "1~2", "t1~x~3", "d2026-13-01~1", "t99999999999999999999~1~1"]
)
def test_malformed_cursor_shows_the_first_page(client, people, backlog, after):
    page = client.login_as(people["owner"]).get(f"/improvements?after={after}")
    assert page.status_code == 200
    assert titles(page.text)[0] == "D-p1-old"


def test_private_entries_improvements_stay_private(client, new_client, people, backlog):
    assert "G-private" not in client.login_as(people["admin"]).get("/improvements").text
    assert "G-private" in new_client().login_as(people["teammate"]).get("/improvements").text


def test_backlog_query_count_does_not_grow_with_the_list(client, people, entry, make_improvement):
    browser = client.login_as(people["owner"])
    make_improvement(entry, people["owner"])
    with recorded_sql() as few:
        browser.get("/improvements")
    for _ in range(15):
        make_improvement(entry, people["lead"])
    with recorded_sql() as many:
        browser.get("/improvements")
    assert len(many) == len(few)


def read_csv(response) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(response.data.decode("utf-8"))))


def test_csv_export_has_tracker_columns_and_follows_filters(client, people, backlog):
    response = client.login_as(people["owner"]).get(
        "/improvements.csv?owner=me&sort=age", buffered=True
    )
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="improvements-')
    rows = read_csv(response)
    assert list(rows[0]) == [
        "Summary",
        "Description",
        "Issue Type",
        "Priority",
        "Assignee email",
        "Labels",
        "Due date",
        "Status",
        "External reference",
        "learnapp link",
    ]
    assert [row["Summary"] for row in rows] == ["A-p2-old", "C-p3-mid"]
    first = rows[0]
    assert first["Priority"] == "Medium" and first["Issue Type"] == "Task"
    assert first["Assignee email"] == "owner@example.com"
    assert first["Due date"] == "2027-03-01"
    assert first["Labels"] == "learnapp process"
    assert re.fullmatch(r"http://127.0.0.1:5000/improvements/\d+", first["learnapp link"])
    assert first["Description"] == (
        f"From the lesson “Stale cache served old prices”: {first['learnapp link']}"
    )


@pytest.mark.parametrize(
    ("title", "cell"),
    [
        ('=HYPERLINK("http://evil","x")', '\'=HYPERLINK("http://evil","x")'),
        ("+1+2", "'+1+2"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\uff1d1+1", "'\uff1d1+1"),
        ("Safe = fine", "Safe = fine"),
        ("Ünïcode ✓ kept", "Ünïcode ✓ kept"),
    ],
)
def test_csv_neutralises_formulas_and_keeps_unicode(
    client, people, entry, make_improvement, title, cell
):
    make_improvement(entry, people["owner"], title=title, details="=cmd|' /C calc'!A0")
    rows = read_csv(client.login_as(people["owner"]).get("/improvements.csv", buffered=True))
    assert rows[0]["Summary"] == cell
    assert rows[0]["Description"].startswith("'=cmd")


def test_csv_labels_carry_the_entry_tags(client, people, make_entry, make_improvement):
    from learnapp.tags import tags_named

    tagged = make_entry(people["author"], tags=tags_named(["cache", "cdn"]))
    make_improvement(tagged, people["owner"], type=ImprovementType.MONITORING, priority=1)
    [row] = read_csv(client.login_as(people["owner"]).get("/improvements.csv", buffered=True))
    assert row["Labels"] == "learnapp monitoring cache cdn"
    assert row["Priority"] == "High"


def test_csv_with_invalid_filters_shows_the_form(client, people, backlog):
    response = client.login_as(people["owner"]).get("/improvements.csv?status=bogus", buffered=True)
    assert response.status_code == 422 and "text/html" in response.headers["Content-Type"]


@pytest.mark.parametrize("url", ["/improvements.csv", "/me/history.csv", "/me/history.md"])
def test_downloads_are_private_and_link_to_the_configured_site(
    app, client, people, entry, make_improvement, url
):
    app.config["MAIL_BASE_URL"] = "https://learn.example.org"
    make_improvement(entry, people["owner"])
    browser = client.login_as(people["author"])
    response = browser.get(url, buffered=True)  # asked for at http://localhost
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "private, no-store"
    if url.endswith(".csv"):
        assert "https://learn.example.org/" in response.text
    assert "localhost" not in response.text
