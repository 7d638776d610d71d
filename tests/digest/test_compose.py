"""Composing one reader's digest of one week, on hand-made data: what is in it, for whom,
and where the week begins and ends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from learnapp.celebrate.models import Cheer
from learnapp.digest.compose import compose_digest
from learnapp.digest.figures import figure_rows
from learnapp.digest.weeks import IsoWeek
from learnapp.extensions import db
from learnapp.improvements.models import Status
from learnapp.incidents.models import Incident, IncidentStatus
from learnapp.models import Kind, Visibility

UTC_ZONE = ZoneInfo("UTC")
WEEK = IsoWeek(2026, 10)  # Monday 2 March to Sunday 8 March 2026
IN_WEEK = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
WEEK_BEFORE = datetime(2026, 2, 25, 12, 0, tzinfo=UTC)


def titles(items):
    return [item.title for item in items]


def test_each_reader_sees_only_the_entries_they_may_read(people, make_entry):
    author = people["author"]
    make_entry(author, title="For everyone", created_at=IN_WEEK)
    make_entry(author, title="For platform", visibility=Visibility.TEAM, created_at=IN_WEEK)
    make_entry(author, title="Only mine", visibility=Visibility.PRIVATE, created_at=IN_WEEK)

    seen = {
        name: titles(compose_digest(people[name], WEEK, UTC_ZONE).lessons)
        for name in ("author", "teammate", "other_team", "admin")
    }

    assert seen["author"] == ["For everyone", "For platform", "Only mine"]
    assert seen["teammate"] == ["For everyone", "For platform"]
    assert seen["other_team"] == ["For everyone"]
    assert seen["admin"] == ["For everyone"]  # admins get no extra reading rights


def test_an_anonymous_entry_names_its_author_to_no_one_else(people, make_entry):
    make_entry(people["author"], title="Quietly shared", anonymous=True, created_at=IN_WEEK)

    other = compose_digest(people["teammate"], WEEK, UTC_ZONE).lessons[0]
    own = compose_digest(people["author"], WEEK, UTC_ZONE).lessons[0]

    assert other.author == "a teammate"
    assert own.author == "Author"


def test_improvements_done_in_the_week_come_with_owner_lead_time_and_cheers(
    people, entry, make_improvement
):
    done = make_improvement(
        entry,
        people["owner"],
        Status.DONE,
        created_at=IN_WEEK - timedelta(days=3),
        done_at=IN_WEEK,
        title="Canary config pushes",
    )
    make_improvement(
        entry, people["owner"], Status.DONE, created_at=WEEK_BEFORE, done_at=WEEK_BEFORE
    )
    db.session.add(Cheer(user_id=people["teammate"].id, improvement_id=done.id, created_at=IN_WEEK))
    db.session.commit()

    digest = compose_digest(people["teammate"], WEEK, UTC_ZONE)

    assert [(d.title, d.owner, d.lead_time, d.cheers) for d in digest.done] == [
        ("Canary config pushes", "Owner", timedelta(days=3), 1)
    ]
    assert [(d.title, d.cheers) for d in digest.most_cheered] == [("Canary config pushes", 1)]


def test_most_cheered_counts_this_weeks_cheers_and_hides_what_the_reader_cannot_see(
    people, make_entry, make_improvement
):
    public = make_entry(people["author"], created_at=WEEK_BEFORE)
    team_only = make_entry(people["author"], visibility=Visibility.TEAM, created_at=WEEK_BEFORE)
    old_done = make_improvement(
        public, people["owner"], Status.DONE, created_at=WEEK_BEFORE, done_at=WEEK_BEFORE
    )
    hidden = make_improvement(
        team_only, people["owner"], Status.DONE, created_at=WEEK_BEFORE, done_at=WEEK_BEFORE
    )
    for cheerer in ("teammate", "lead", "admin"):
        db.session.add(
            Cheer(user_id=people[cheerer].id, improvement_id=hidden.id, created_at=IN_WEEK)
        )
    db.session.add(Cheer(user_id=people["lead"].id, improvement_id=old_done.id, created_at=IN_WEEK))
    db.session.add(
        Cheer(user_id=people["teammate"].id, improvement_id=old_done.id, created_at=WEEK_BEFORE)
    )
    db.session.commit()

    outsider = compose_digest(people["other_team"], WEEK, UTC_ZONE)
    insider = compose_digest(people["teammate"], WEEK, UTC_ZONE)

    assert [(d.id, d.cheers) for d in outsider.most_cheered] == [(old_done.id, 1)]
    assert [(d.id, d.cheers) for d in insider.most_cheered] == [(hidden.id, 3), (old_done.id, 1)]


def test_published_narratives_incidents_and_open_items_are_listed(
    people, make_entry, make_improvement
):
    incident_entry = make_entry(
        people["author"], title="Checkout down", kind=Kind.INCIDENT, created_at=IN_WEEK
    )
    db.session.add(
        Incident(
            entry=incident_entry,
            severity=2,
            status=IncidentStatus.PUBLISHED,
            started_at=IN_WEEK,
            detected_at=IN_WEEK,
            resolved_at=IN_WEEK,
            published_at=IN_WEEK + timedelta(hours=5),
        )
    )
    db.session.commit()
    oldest = make_improvement(
        incident_entry, people["owner"], created_at=IN_WEEK - timedelta(days=30)
    )
    make_improvement(incident_entry, people["teammate"], created_at=IN_WEEK - timedelta(days=2))
    make_improvement(incident_entry, people["owner"], created_at=IN_WEEK + timedelta(days=20))

    digest = compose_digest(people["owner"], WEEK, UTC_ZONE)

    assert titles(digest.incidents) == ["Checkout down"]
    assert [(n.title, n.severity) for n in digest.narratives] == [("Checkout down", "SEV2")]
    assert digest.oldest_open[0].id == oldest.id
    # Measured to the end of the week, so composing it again later says the same.
    assert digest.oldest_open[0].age == WEEK.period(UTC_ZONE).end - oldest.created_at
    # Proposed after the week ended: not part of that week's digest.
    assert [i.id for i in digest.my_open] == [oldest.id]


def test_figures_stand_beside_the_previous_weeks(people, make_entry, make_improvement):
    for _ in range(3):
        make_entry(people["author"], created_at=IN_WEEK)
    earlier = make_entry(people["author"], created_at=WEEK_BEFORE)
    make_improvement(
        earlier,
        people["owner"],
        Status.DONE,
        created_at=WEEK_BEFORE,
        done_at=WEEK_BEFORE + timedelta(hours=5),
    )

    digest = compose_digest(people["teammate"], WEEK, UTC_ZONE)
    rows = dict(figure_rows(digest))

    assert (digest.figures.entries, digest.previous.entries) == (3, 1)
    assert rows["Entries logged"] == ("3", "1")
    assert rows["Improvements done"] == ("0", "1")
    assert rows["Median lead time"] == ("—", "5 h")
    assert rows["Repair rate"] == ("0%", "100%")


@pytest.mark.parametrize(
    ("weeks_back", "when"),
    [(52, "A year ago"), (13, "A quarter ago")],
)
def test_a_lesson_resurfaces_from_a_year_or_a_quarter_ago(people, make_entry, weeks_back, when):
    then = IN_WEEK - timedelta(weeks=weeks_back)
    make_entry(people["author"], title="Not learned yet", created_at=then, what_we_learned="")
    make_entry(
        people["author"],
        title="Hidden",
        visibility=Visibility.PRIVATE,
        created_at=then,
        what_we_learned="x",
    )
    make_entry(
        people["author"], title="Old wisdom", created_at=then, what_we_learned="Check the *cache*."
    )
    make_entry(
        people["author"],
        title="Off by a week",
        created_at=then - timedelta(weeks=1),
        what_we_learned="y",
    )

    resurfaced = compose_digest(people["teammate"], WEEK, UTC_ZONE).resurfaced

    assert (resurfaced.when, resurfaced.title, resurfaced.learned) == (
        when,
        "Old wisdom",
        "Check the *cache*.",
    )


def test_a_year_ago_wins_over_a_quarter_ago_and_the_most_thanked_is_chosen(people, make_entry):
    make_entry(
        people["author"],
        title="Quarter",
        created_at=IN_WEEK - timedelta(weeks=13),
        what_we_learned="q",
    )
    year_ago = IN_WEEK - timedelta(weeks=52)
    make_entry(people["author"], title="Year, no thanks", created_at=year_ago, what_we_learned="a")
    thanked = make_entry(
        people["author"], title="Year, thanked", created_at=year_ago, what_we_learned="b"
    )
    db.session.add(Cheer(user_id=people["teammate"].id, entry_id=thanked.id, created_at=IN_WEEK))
    db.session.commit()

    assert compose_digest(people["lead"], WEEK, UTC_ZONE).resurfaced.title == "Year, thanked"


def test_a_quiet_week_still_has_a_digest_when_something_is_open(people, entry, make_improvement):
    make_improvement(entry, people["owner"], created_at=WEEK_BEFORE - timedelta(weeks=5))

    digest = compose_digest(people["owner"], IsoWeek(2026, 20), UTC_ZONE)

    assert digest.is_quiet
    assert digest.has_content


def test_a_reader_with_nothing_visible_has_no_digest(people, make_entry):
    make_entry(people["author"], visibility=Visibility.TEAM, created_at=IN_WEEK)
    make_entry(people["author"], visibility=Visibility.PRIVATE, created_at=IN_WEEK)

    assert not compose_digest(people["other_team"], WEEK, UTC_ZONE).has_content
    assert compose_digest(people["teammate"], WEEK, UTC_ZONE).has_content


SYDNEY = ZoneInfo("Australia/Sydney")
NEW_YORK = ZoneInfo("America/New_York")


@pytest.mark.parametrize(
    ("zone", "week", "inside", "outside"),
    [
        # Sydney leaves summer time on Sunday 5 April 2026: that week lasts 169 hours.
        (
            SYDNEY,
            IsoWeek(2026, 14),
            datetime(2026, 4, 5, 13, 59, tzinfo=UTC),
            datetime(2026, 4, 5, 14, 0, tzinfo=UTC),
        ),
        # ... and its Monday starts at 13:00 UTC the day before (UTC+11).
        (
            SYDNEY,
            IsoWeek(2026, 14),
            datetime(2026, 3, 29, 13, 0, tzinfo=UTC),
            datetime(2026, 3, 29, 12, 59, tzinfo=UTC),
        ),
        # New York starts summer time on Sunday 8 March 2026: that week lasts 167 hours.
        (
            NEW_YORK,
            IsoWeek(2026, 10),
            datetime(2026, 3, 9, 3, 59, tzinfo=UTC),
            datetime(2026, 3, 9, 4, 0, tzinfo=UTC),
        ),
        (
            NEW_YORK,
            IsoWeek(2026, 10),
            datetime(2026, 3, 2, 5, 0, tzinfo=UTC),
            datetime(2026, 3, 2, 4, 59, tzinfo=UTC),
        ),
        # ISO week 53 of 2026 runs Monday 28 December 2026 to Sunday 3 January 2027.
        (
            UTC_ZONE,
            IsoWeek(2026, 53),
            datetime(2027, 1, 3, 23, 59, tzinfo=UTC),
            datetime(2027, 1, 4, 0, 0, tzinfo=UTC),
        ),
        (
            UTC_ZONE,
            IsoWeek(2026, 53),
            datetime(2026, 12, 28, 0, 0, tzinfo=UTC),
            datetime(2026, 12, 27, 23, 59, tzinfo=UTC),
        ),
    ],
)
def test_weeks_run_monday_to_sunday_on_the_organisations_calendar(
    people, make_entry, zone, week, inside, outside
):
    make_entry(people["author"], title="inside", created_at=inside)
    make_entry(people["author"], title="outside", created_at=outside)

    assert titles(compose_digest(people["teammate"], week, zone).lessons) == ["inside"]


@pytest.mark.parametrize(("zone", "hours"), [(SYDNEY, 169), (NEW_YORK, 168), (UTC_ZONE, 168)])
def test_a_week_is_as_long_as_its_clocks_say(zone, hours):
    period = IsoWeek(2026, 14).period(zone)
    # Subtracting in one zone counts wall-clock hours; in UTC, the hours that passed.
    length = period.end.astimezone(UTC) - period.start.astimezone(UTC)
    assert length.total_seconds() / 3600 == hours


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-W53", IsoWeek(2026, 53)),
        ("2026-W01", IsoWeek(2026, 1)),
        ("2020-W53", IsoWeek(2020, 53)),
    ],
)
def test_week_names_parse(text, expected):
    assert IsoWeek.parse(text) == expected
    assert str(expected) == text


@pytest.mark.parametrize("text", ["2027-W53", "2026-W00", "2026-W54", "2026-3", "2026-W1", "", "x"])
def test_impossible_week_names_are_refused(text):
    with pytest.raises(ValueError):
        IsoWeek.parse(text)


def test_the_week_after_week_53_is_week_1_of_the_next_iso_year():
    assert IsoWeek(2026, 53).shifted(1) == IsoWeek(2027, 1)
    assert IsoWeek(2027, 1).shifted(-1) == IsoWeek(2026, 53)
    assert IsoWeek.of(datetime(2027, 1, 1).date()) == IsoWeek(2026, 53)
    assert IsoWeek(2026, 53).label == "Week 53, 28 December 2026-3 January 2027"


def test_a_published_narrative_reaches_readers_who_cannot_see_its_entry(people, make_entry):
    private = make_entry(
        people["author"],
        title="Private outage",
        kind=Kind.INCIDENT,
        created_at=IN_WEEK,
        visibility=Visibility.PRIVATE,
    )
    db.session.add(
        Incident(
            entry=private,
            severity=1,
            status=IncidentStatus.PUBLISHED,
            started_at=IN_WEEK,
            detected_at=IN_WEEK,
            resolved_at=IN_WEEK,
            published_at=IN_WEEK + timedelta(hours=1),
        )
    )
    db.session.commit()
    digest = compose_digest(people["other_team"], WEEK, UTC_ZONE)
    assert [n.title for n in digest.narratives] == ["Private outage"]
    assert titles(digest.incidents) == [], "the incident itself stays private"
