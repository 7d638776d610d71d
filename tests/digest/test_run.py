"""Composing a week's digest for many readers in one run: what readers in the same teams
share is read once, and every reader still gets exactly their own digest."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event

from learnapp.celebrate.models import Cheer
from learnapp.digest.compose import compose_digest
from learnapp.digest.run import DigestRun
from learnapp.digest.weeks import IsoWeek
from learnapp.extensions import db
from learnapp.improvements.models import Status
from learnapp.models import Kind, Membership, Visibility, utcnow

UTC_ZONE = ZoneInfo("UTC")
WEEK = IsoWeek(2026, 10)  # Monday 2 March to Sunday 8 March 2026
IN_WEEK = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
WEEK_BEFORE = datetime(2026, 2, 25, 12, 0, tzinfo=UTC)
YEAR_AGO = IN_WEEK - timedelta(weeks=52)


def titles(items):
    return [item.title for item in items]


def _author_of(entries, title):
    return next(entry.author for entry in entries if entry.title == title)


@pytest.fixture
def readers(people, make_user, teams):
    """The improvements tests' people, plus one in both teams, one in none, and one who
    left platform after writing for it."""
    both = make_user("Both")
    db.session.add(Membership(user=both, team=teams["payments"]))
    leaver = make_user("Leaver")
    db.session.commit()
    return {**people, "both": both, "nobody": make_user("Nobody", team=None), "leaver": leaver}


@pytest.fixture
def week_of_everything(readers, make_entry, make_improvement, teams):
    """Entries of every visibility, deleted and anonymous ones, and ones only their authors
    may read (private, for a team they left, for a deleted team), each with an open and a
    done improvement, cheers and thanks; some of the week, some of the week before, some
    of a year ago."""
    author, leaver, payments = readers["author"], readers["leaver"], teams["payments"].id
    kinds = [
        ("org", author, {}),
        ("anonymous", author, {"anonymous": True}),
        ("platform", author, {"visibility": Visibility.TEAM}),
        ("private", author, {"visibility": Visibility.PRIVATE}),
        ("private incident", author, {"visibility": Visibility.PRIVATE, "kind": Kind.INCIDENT}),
        ("deleted", author, {"deleted_at": IN_WEEK}),
        ("deleted private", author, {"visibility": Visibility.PRIVATE, "deleted_at": IN_WEEK}),
        ("payments", readers["other_team"], {"visibility": Visibility.TEAM}),
        ("other's private", readers["other_team"], {"visibility": Visibility.PRIVATE}),
        ("both's", readers["both"], {"visibility": Visibility.TEAM, "team_id": payments}),
        ("nobody's private", readers["nobody"], {"visibility": Visibility.PRIVATE}),
        ("left team", leaver, {"visibility": Visibility.TEAM, "anonymous": True}),
        ("team gone", leaver, {"visibility": Visibility.TEAM, "team_id": None}),
    ]
    for number, (name, writer, fields) in enumerate(kinds):
        for when in (IN_WEEK, WEEK_BEFORE, YEAR_AGO):
            entry = make_entry(
                writer,
                title=f"{name} {when:%Y}",
                created_at=when + timedelta(minutes=number),
                what_we_learned=f"Learned from {name}",
                **fields,
            )
            make_improvement(entry, readers["owner"], created_at=when - timedelta(days=number))
            done = make_improvement(
                entry,
                readers["owner"],
                Status.DONE,
                created_at=when - timedelta(days=3 + number),
                done_at=when,
            )
            for cheerer in ("teammate", "lead", "admin")[: number % 3 + 1]:
                cheerer_id = readers[cheerer].id
                db.session.add(
                    Cheer(user_id=cheerer_id, improvement_id=done.id, created_at=IN_WEEK)
                )
                db.session.add(Cheer(user_id=cheerer_id, entry_id=entry.id, created_at=IN_WEEK))
    db.session.delete(leaver.memberships[0])  # after writing for platform
    db.session.commit()
    return readers


def test_every_reader_of_a_run_gets_the_digest_they_get_alone(week_of_everything):
    readers = list(week_of_everything.values())
    run = DigestRun(WEEK, UTC_ZONE)

    shared = {reader.display_name: run.compose(reader) for reader in readers}
    alone = {reader.display_name: compose_digest(reader, WEEK, UTC_ZONE) for reader in readers}

    assert shared == alone
    assert shared["Author"].resurfaced.when == "A year ago"


def test_readers_in_other_teams_get_other_lists_and_figures(week_of_everything):
    run = DigestRun(WEEK, UTC_ZONE)
    platform = run.compose(week_of_everything["teammate"])
    payments = run.compose(week_of_everything["other_lead"])

    everyone = ["org 2026", "anonymous 2026"]
    assert titles(platform.lessons) == [*everyone, "platform 2026", "left team 2026"]
    assert titles(payments.lessons) == [*everyone, "payments 2026", "both's 2026"]
    assert platform.figures.entries == payments.figures.entries == 4
    assert titles(platform.done) != titles(payments.done)


def test_readers_in_the_same_teams_share_all_but_what_they_alone_may_read(week_of_everything):
    run = DigestRun(WEEK, UTC_ZONE)
    teammate = run.compose(week_of_everything["teammate"])
    lead = run.compose(week_of_everything["lead"])
    author = run.compose(week_of_everything["author"])  # platform too, and wrote private ones

    for name in ("done", "most_cheered", "lessons", "incidents", "oldest_open", "figures"):
        assert getattr(teammate, name) == getattr(lead, name), name
    assert set(titles(author.lessons)) == {*titles(teammate.lessons), "private 2026"}
    assert titles(author.incidents) == ["private incident 2026"]
    assert teammate.incidents == []
    assert author.figures.entries == teammate.figures.entries + 2
    assert len(author.done) == len(teammate.done) + 2
    assert author.oldest_open != teammate.oldest_open  # the author's private ones are older
    # The anonymous entry names its author to the author alone.
    assert _author_of(author.lessons, "anonymous 2026") == "Author"
    assert _author_of(teammate.lessons, "anonymous 2026") == "a teammate"


def test_a_reader_still_reads_what_they_wrote_for_a_team_they_left(week_of_everything):
    run = DigestRun(WEEK, UTC_ZONE)
    leaver = run.compose(week_of_everything["leaver"])  # now in no team, like "nobody"
    nobody = run.compose(week_of_everything["nobody"])
    teammate = run.compose(week_of_everything["teammate"])

    assert titles(leaver.lessons) == [
        "org 2026",
        "anonymous 2026",
        "left team 2026",
        "team gone 2026",
    ]
    assert titles(nobody.lessons) == ["org 2026", "anonymous 2026", "nobody's private 2026"]
    assert _author_of(teammate.lessons, "left team 2026") == "a teammate"
    assert "team gone 2026" not in titles(teammate.lessons)


def test_a_second_reader_of_the_same_teams_costs_one_statement(week_of_everything):
    run = DigestRun(WEEK, UTC_ZONE)
    run.compose(week_of_everything["teammate"])
    lead = week_of_everything["lead"]
    assert lead.team_ids and lead.display_name  # loaded, as a run's readers are

    statements = []

    def record(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        run.compose(lead)
    finally:
        event.remove(db.engine, "before_cursor_execute", record)

    assert len(statements) == 1, "only the reader's own open items are read for them"


def test_a_run_remembers_only_for_itself(week_of_everything, make_entry):
    teammate = week_of_everything["teammate"]
    DigestRun(WEEK, UTC_ZONE).compose(teammate)
    make_entry(week_of_everything["author"], title="Written since", created_at=IN_WEEK)

    assert "Written since" in titles(DigestRun(WEEK, UTC_ZONE).compose(teammate).lessons)


def test_a_run_of_an_empty_week_has_nothing_for_anyone(readers):
    run = DigestRun(IsoWeek.containing(utcnow(), UTC_ZONE).shifted(10), UTC_ZONE)

    assert not any(run.compose(reader).has_content for reader in readers.values())
