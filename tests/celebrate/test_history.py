"""Personal lesson history: what self and others see, filters, load more, figures, exports."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import pytest

from learnapp.celebrate.models import Cheer
from learnapp.extensions import db
from learnapp.improvements.models import Status
from learnapp.models import Kind, Visibility


def card_titles(html: str) -> list[str]:
    return re.findall(r'<h3 id="entry-\d+-title"><a href="[^"]+">([^<]+)</a>', html)


@pytest.fixture
def history(people, make_entry):
    author = people["author"]
    made = {
        "public": make_entry(author, title="Public", created_at=datetime(2026, 1, 10, tzinfo=UTC)),
        "team": make_entry(
            author,
            title="Team",
            visibility=Visibility.TEAM,
            created_at=datetime(2026, 2, 10, tzinfo=UTC),
        ),
        "private": make_entry(
            author,
            title="Private",
            visibility=Visibility.PRIVATE,
            created_at=datetime(2026, 2, 11, tzinfo=UTC),
        ),
        "anonymous": make_entry(
            author, title="Anonymous", anonymous=True, created_at=datetime(2026, 2, 12, tzinfo=UTC)
        ),
        "incident": make_entry(
            author,
            title="Outage",
            kind=Kind.INCIDENT,
            what_happened="The cache melted",
            created_at=datetime(2026, 3, 1, tzinfo=UTC),
        ),
    }
    return made


@pytest.mark.parametrize(
    ("viewer", "expected"),
    [
        ("author", ["Outage", "Anonymous", "Private", "Team", "Public"]),
        ("teammate", ["Outage", "Team", "Public"]),
        ("other_team", ["Outage", "Public"]),
        ("admin", ["Outage", "Public"]),
    ],
)
def test_history_shows_each_viewer_only_what_they_may_see(
    new_client, people, history, viewer, expected
):
    browser = new_client().login_as(people[viewer])
    page = browser.get(f"/people/{people['author'].id}").text
    assert card_titles(page) == expected
    if viewer != "author":
        assert "Anonymous" not in page and "Private" not in page


def test_me_is_my_own_history_grouped_by_month(client, people, history):
    page = client.login_as(people["author"]).get("/me").text
    assert "My lessons" in page
    months = re.findall(r'<h3 class="month">([^<]+)</h3>', page)
    assert months == ["March 2026", "February 2026", "January 2026"]
    assert "Export:" in page


def test_filters_and_load_more(app, client, people, history):
    app.config["FEED_PAGE_SIZE"] = 2
    browser = client.login_as(people["author"])
    first = browser.get("/me")
    assert card_titles(first.text) == ["Outage", "Anonymous"]
    more_url = re.search(r'hx-get="(/me\?cursor=[^"]+)"', first.text).group(1)
    more = browser.get(more_url.replace("&amp;", "&"), htmx=True)
    assert "<html" not in more.text
    assert card_titles(more.text) == ["Private", "Team"]
    assert '<h3 class="month">' not in more.text.split("Team")[0].split("Private")[0], (
        "February continues from the page before: no second heading"
    )
    assert card_titles(browser.get("/me?kind=incident").text) == ["Outage"]
    assert card_titles(browser.get("/me?q=melted").text) == ["Outage"]
    assert card_titles(browser.get("/me?q=100%25").text) == []


def test_history_figures(client, people, history, make_improvement):
    author, lead = people["author"], people["lead"]
    now = datetime.now(UTC)
    make_improvement(
        history["public"],
        author,
        Status.DONE,
        created_at=now - timedelta(days=4),
        done_at=now - timedelta(days=2),
    )
    make_improvement(
        history["public"],
        author,
        Status.DONE,
        created_at=now - timedelta(days=6),
        done_at=now - timedelta(days=2),
    )
    make_improvement(history["public"], author, Status.PLANNED, title="Still open")
    db.session.add_all(
        [
            Cheer(user_id=lead.id, entry_id=history["public"].id),
            Cheer(user_id=lead.id, entry_id=history["anonymous"].id),
        ]
    )
    db.session.commit()
    mine = client.login_as(author).get("/me").text
    assert "<dt>Lessons logged</dt><dd>5</dd>" in mine
    assert "<dt>Improvements done</dt><dd>2</dd>" in mine
    assert "<dt>Median lead time</dt><dd>3.0 days</dd>" in mine
    assert "<dt>Thanks received</dt><dd>2</dd>" in mine
    assert "Still open" in mine
    theirs = client.login_as(people["other_team"]).get(f"/people/{author.id}").text
    assert "<dt>Lessons logged</dt><dd>2</dd>" in theirs
    assert "<dt>Thanks received</dt><dd>1</dd>" in theirs, "an anonymous entry's thanks stay hidden"


def test_unknown_people_are_not_found(client, people):
    browser = client.login_as(people["author"])
    assert browser.get("/people/999999").status_code == 404
    assert browser.get("/people/0").status_code == 404


def test_exports_hold_all_my_entries_and_nobody_elses(client, people, history, make_entry):
    make_entry(people["teammate"], title="Not mine")
    browser = client.login_as(people["author"])
    markdown = browser.get("/me/history.md")
    assert markdown.headers["Content-Type"].startswith("text/markdown")
    assert "attachment" in markdown.headers["Content-Disposition"]
    text = markdown.text
    assert text.startswith("# Lessons of Author")
    for title in ("Public", "Team", "Private", "Anonymous", "Outage"):
        assert f"## {title}" in text
    assert "Not mine" not in text
    assert "The cache melted" in text and "shared anonymously" in text

    rows = list(csv.DictReader(io.StringIO(browser.get("/me/history.csv").text)))
    assert [row["Title"] for row in rows] == ["Public", "Team", "Private", "Anonymous", "Outage"]
    assert rows[3]["Anonymous"] == "yes" and rows[2]["Visibility"] == "private"


def test_export_neutralises_formulas(client, people, make_entry):
    make_entry(people["author"], title="=SUM(A1:A9)")
    rows = list(
        csv.DictReader(io.StringIO(client.login_as(people["author"]).get("/me/history.csv").text))
    )
    assert rows[0]["Title"] == "'=SUM(A1:A9)"
