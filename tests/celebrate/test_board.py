"""The celebration board: periods at week and month edges in the reader's timezone, the
people thanked (never ranked, never an anonymous author), and the 12-week trend's numbers."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from learnapp.celebrate.board import period_of
from learnapp.celebrate.models import Cheer
from learnapp.celebrate.trend import AXIS, HEIGHT, Week, bars, week_starts, weekly_counts
from learnapp.extensions import db
from learnapp.improvements.models import Status

SYDNEY = ZoneInfo("Australia/Sydney")


@pytest.fixture
def in_sydney(app, people):
    viewer = people["teammate"]
    viewer.timezone = "Australia/Sydney"
    db.session.commit()
    return viewer


def test_week_and_month_follow_the_readers_timezone(app, client, in_sydney):
    # Sunday 1 March 2026, 14:00 UTC is Monday 2 March, 01:00 in Sydney (UTC+11).
    now = datetime(2026, 3, 1, 14, 0, tzinfo=UTC)
    with app.test_request_context():
        from flask_login import login_user

        login_user(in_sydney)
        week = period_of("week", now)
        month = period_of("month", now)
        everything = period_of("all", now)
    assert week.start == datetime(2026, 3, 2, tzinfo=SYDNEY)
    assert week.end == datetime(2026, 3, 9, tzinfo=SYDNEY)
    assert month.start == datetime(2026, 3, 1, tzinfo=SYDNEY)
    assert month.end == datetime(2026, 4, 1, tzinfo=SYDNEY)
    assert (everything.start, everything.end) == (None, None)


@pytest.mark.parametrize(
    ("done_at", "on_this_week"),
    [
        (lambda monday: monday - timedelta(seconds=1), False),
        (lambda monday: monday, True),
    ],
)
def test_board_shows_improvements_done_this_week_from_monday_midnight_local(
    client, in_sydney, people, entry, make_improvement, done_at, on_this_week
):
    today = datetime.now(SYDNEY).date()
    monday = datetime.combine(today - timedelta(days=today.weekday()), datetime.min.time(), SYDNEY)
    make_improvement(
        entry,
        people["owner"],
        Status.DONE,
        created_at=monday - timedelta(days=3),
        done_at=done_at(monday),
        title="Edge case",
    )
    page = client.login_as(in_sydney).get("/celebrate?period=week").text
    assert ("Edge case" in page) is on_this_week
    assert "Edge case" in client.get("/celebrate?period=all").text


def test_board_lists_done_improvements_with_owner_entry_lead_time_and_cheers(
    client, people, entry, make_improvement
):
    improvement = make_improvement(
        entry,
        people["owner"],
        Status.DONE,
        created_at=datetime.now(UTC) - timedelta(days=3),
        done_at=datetime.now(UTC) - timedelta(hours=12),
        title="Purge the CDN",
    )
    db.session.add(Cheer(user_id=people["lead"].id, improvement_id=improvement.id))
    db.session.commit()
    page = client.login_as(people["teammate"]).get("/celebrate?period=all").text
    assert "Purge the CDN" in page and "Owner" in page
    assert "Stale cache served old prices" in page
    assert "idea to practice in" in page and ">2.5 days</time>" in page
    assert 'aria-label="1 so far"' in page


def test_thanked_people_are_listed_by_name_and_anonymous_authors_stay_hidden(
    client, people, make_entry
):
    named = make_entry(people["owner"], title="Named")
    anonymous = make_entry(people["author"], title="Anon", anonymous=True)
    for entry in (named, anonymous):
        db.session.add(Cheer(user_id=people["lead"].id, entry_id=entry.id))
    db.session.add(Cheer(user_id=people["admin"].id, entry_id=named.id))
    db.session.commit()
    page = client.login_as(people["teammate"]).get("/celebrate?period=all").text
    section = page[page.index("Thanked for sharing") :]
    assert "Owner</a> · thanked 2 times" in section
    assert "Author" not in section


def test_board_has_no_unknown_periods(client, people):
    assert client.login_as(people["teammate"]).get("/celebrate?period=year").status_code == 404


def test_board_refreshes_itself_under_htmx(client, people):
    browser = client.login_as(people["teammate"])
    page = browser.get("/celebrate").text
    assert 'hx-trigger="every 30s"' in page
    fragment = browser.get("/celebrate?period=week", htmx=True)
    assert fragment.status_code == 200 and "<html" not in fragment.text
    assert fragment.text.lstrip().startswith('<div id="board"')


def test_week_starts_are_the_last_twelve_mondays():
    mondays = week_starts(date(2026, 3, 4))  # a Wednesday
    assert len(mondays) == 12
    assert mondays[-1] == date(2026, 3, 2) and mondays[0] == date(2025, 12, 15)
    assert all(m.weekday() == 0 for m in mondays)


def test_weekly_counts_match_hand_made_numbers(people, make_entry, make_improvement):
    utc = ZoneInfo("UTC")
    today = date(2026, 3, 4)
    this_monday = datetime(2026, 3, 2, tzinfo=UTC)
    make_entry(people["author"], created_at=this_monday)  # this week
    make_entry(people["author"], created_at=this_monday - timedelta(seconds=1))  # last week
    old = make_entry(people["author"], created_at=this_monday - timedelta(weeks=12))  # too old
    make_improvement(
        old,
        people["owner"],
        Status.DONE,
        created_at=this_monday - timedelta(weeks=13),
        done_at=this_monday + timedelta(days=1),
    )
    make_improvement(
        old,
        people["owner"],
        Status.DONE,
        created_at=this_monday - timedelta(weeks=13),
        done_at=this_monday - timedelta(weeks=11),
    )
    make_entry(people["teammate"], created_at=this_monday, visibility="private")  # not the author's
    weeks = weekly_counts(people["author"], today, utc)
    assert [w.entries for w in weeks] == [0] * 10 + [1, 1]
    assert [w.done for w in weeks] == [1] + [0] * 10 + [1]
    assert weeks[-1].label == "2026-W10"


def test_bars_scale_to_the_tallest_week():
    weeks = [Week(date(2026, 1, 5), 4, 1), Week(date(2026, 1, 12), 2, 0)]
    logged, done = bars(weeks)
    plot = HEIGHT - AXIS
    assert [b.height for b in logged] == [plot, plot / 2]
    assert [b.height for b in done] == [plot / 4, 0]
    assert logged[0].y == 0 and done[0].y == plot - plot / 4
    assert done[0].x > logged[0].x


def test_board_chart_has_a_title_a_description_and_a_table(client, people, make_entry):
    make_entry(people["author"])
    page = client.login_as(people["teammate"]).get("/celebrate").text
    assert '<svg class="trend-chart"' in page and 'role="img"' in page
    assert '<title id="trend-title">' in page and '<desc id="trend-desc">' in page
    assert "1 entries logged and 0 improvements done over 12 weeks" in page
    assert page.count('<tr><th scope="row">') == 12
