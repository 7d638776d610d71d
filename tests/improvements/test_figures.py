"""Repair figures on hand-made data: conversion, repair rate, lead times, open, period edges."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from learnapp.extensions import db
from learnapp.improvements.figures import Period, compute_figures, percentile
from learnapp.improvements.models import Status
from learnapp.models import Visibility

START = datetime(2026, 3, 1, tzinfo=UTC)
END = datetime(2026, 4, 1, tzinfo=UTC)
MARCH = Period(START, END)
DAY = timedelta(days=1)


def at(day: int, hour: int = 12) -> datetime:
    return datetime(2026, 3, day, hour, tzinfo=UTC)


@pytest.fixture
def march(people, make_entry, make_improvement):
    """Five platform entries in March, one from February, one of payments', one private."""
    author, owner = people["author"], people["owner"]
    e1 = make_entry(author, created_at=at(2))
    make_improvement(e1, owner, Status.DONE, created_at=at(3), done_at=at(3) + 2 * DAY)
    e2 = make_entry(author, created_at=at(5))
    make_improvement(e2, owner, Status.DONE, created_at=at(5), done_at=at(5) + 4 * DAY)
    make_improvement(e2, owner, Status.DROPPED, created_at=at(5))
    e3 = make_entry(author, created_at=at(10))
    make_improvement(e3, owner, Status.IN_PROGRESS, created_at=at(11))
    e4 = make_entry(author, created_at=at(12), no_change_reason="A one-off")
    e5 = make_entry(author, created_at=at(31, 23))
    make_improvement(e5, owner, Status.DROPPED, created_at=at(31, 23))
    february = make_entry(author, created_at=START - 10 * DAY)
    make_improvement(february, owner, Status.DONE, created_at=START - 9 * DAY, done_at=START)
    make_improvement(february, owner, Status.PLANNED, created_at=START - 8 * DAY, title="Oldest")
    payments = make_entry(people["other_team"], created_at=at(15))
    make_improvement(payments, people["other_team"], Status.PROPOSED, created_at=at(15))
    private = make_entry(people["teammate"], created_at=at(16), visibility=Visibility.PRIVATE)
    make_improvement(private, people["teammate"], Status.PROPOSED, created_at=START - 60 * DAY)
    return [e1, e2, e3, e4, e5]


def test_organisation_figures_for_march(people, march):
    figures = compute_figures(people["author"], None, MARCH)
    # e1 to e5 and payments' entry; the teammate's private entry is not the author's to count.
    assert figures.entries == 6
    assert figures.converted == 5  # e1, e2, e3, e4 (no change needed), payments (proposed)
    assert figures.repaired == 2  # e1, e2
    assert figures.conversion == pytest.approx(5 / 6)
    assert figures.repair_rate == pytest.approx(2 / 6)
    # Done in March: 2 days, 4 days, and February's entry's 9 days (done on 1 March).
    assert sorted(figures.lead_times) == [2 * DAY, 4 * DAY, 9 * DAY]
    assert figures.median_lead_time == 4 * DAY
    assert figures.p90_lead_time == 9 * DAY
    # Open now, whatever the period: e3's, February's planned one, payments' proposal.
    assert figures.open_count == 3
    assert figures.oldest_open.title == "Oldest"


def test_team_figures_count_only_that_teams_entries(people, teams, march):
    figures = compute_figures(people["author"], teams["platform"].id, MARCH)
    assert (figures.entries, figures.converted, figures.repaired) == (5, 4, 2)
    assert figures.open_count == 2


def test_private_entries_count_for_their_author_only(people, march):
    own = compute_figures(people["teammate"], None, Period(None, None))
    others = compute_figures(people["author"], None, Period(None, None))
    assert own.entries == others.entries + 1
    assert own.oldest_open.created_at == START - 60 * DAY
    assert others.oldest_open.title == "Oldest"


def test_an_empty_period_has_no_rates(people, march):
    figures = compute_figures(
        people["author"],
        None,
        Period(datetime(2020, 1, 1, tzinfo=UTC), datetime(2020, 2, 1, tzinfo=UTC)),
    )
    assert (figures.entries, figures.conversion, figures.repair_rate) == (0, None, None)
    assert figures.median_lead_time is None and figures.p90_lead_time is None


@pytest.mark.parametrize(
    ("days", "median", "p90"),
    [
        ([5], 5, 5),
        ([1, 2, 3, 4], 2.5, 4),
        ([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 5.5, 9),
        ([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], 6, 10),
        ([30, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1], 1, 1),
    ],
)
def test_median_and_nearest_rank_p90(days, median, p90):
    from learnapp.improvements.figures import Figures

    figures = Figures(0, 0, 0, [d * DAY for d in days], 0, None)
    assert figures.median_lead_time == median * DAY
    assert figures.p90_lead_time == p90 * DAY
    assert percentile([], 90) is None


def test_period_from_dates_covers_whole_days_in_the_readers_timezone():
    new_york = ZoneInfo("America/New_York")
    period = Period.from_dates(date(2026, 3, 1), date(2026, 3, 31), new_york)
    # EST on 1 March (UTC-5); EDT from 8 March (UTC-4).
    assert period.start == datetime(2026, 3, 1, 5, tzinfo=UTC)
    assert period.end == datetime(2026, 4, 1, 4, tzinfo=UTC)


@pytest.mark.parametrize(
    ("created", "counted"),
    [
        (datetime(2026, 3, 1, 4, 59, tzinfo=UTC), False),  # 28 Feb, 23:59 in New York
        (datetime(2026, 3, 1, 5, 0, tzinfo=UTC), True),
        (datetime(2026, 4, 1, 3, 59, tzinfo=UTC), True),  # 31 March, 23:59 in New York
        (datetime(2026, 4, 1, 4, 0, tzinfo=UTC), False),
    ],
)
def test_backlog_period_edges_follow_the_viewers_timezone(
    client, people, make_entry, created, counted
):
    viewer = people["author"]
    viewer.timezone = "America/New_York"
    db.session.commit()
    make_entry(viewer, created_at=created)
    page = client.login_as(viewer).get("/improvements?since=2026-03-01&until=2026-03-31").text
    assert f"<dt>Entries logged</dt><dd>{1 if counted else 0}</dd>" in page


def test_figures_on_the_page_match_the_hand_made_numbers(client, people, march):
    page = (
        client.login_as(people["author"])
        .get("/improvements?since=2026-03-01&until=2026-03-31")
        .text
    )
    assert "1 Mar 2026 \N{EN DASH} 31 Mar 2026" in page
    assert "<dt>Entries logged</dt><dd>6</dd>" in page
    assert "83%" in page and "5 of 6 have an improvement or need no change" in page
    assert "33%" in page and "2 of 6 have a done improvement" in page
    assert "4.0 days" in page and "9.0 days" in page
    assert "3 done in the period" in page


def test_lead_time_changes_when_an_improvement_is_done(client, people, entry, make_improvement):
    improvement = make_improvement(
        entry, people["owner"], Status.IN_PROGRESS, created_at=datetime.now(UTC) - 3 * DAY
    )
    browser = client.login_as(people["owner"])
    before = browser.get("/improvements?status=all&since=&until=").text
    assert "<dt>Median lead time</dt>\n      <dd>—" in before
    browser.post(
        f"/improvements/{improvement.id}/status", {"to": "done", "expected": "in_progress"}
    )
    after = browser.get("/improvements?status=all&since=&until=").text
    assert "3.0 days" in after
    assert "1 of 1 have a done improvement" in after
