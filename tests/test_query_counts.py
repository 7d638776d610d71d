"""Pages read the database in a fixed number of statements, whatever the lists' lengths,
and on SQLite each list takes its order from an index instead of sorting the table.

The counts include everything the engine sends for the request (on SQLite the BEGIN too),
as ``recorded_sql`` sees it; the second request of each page is counted (the first may fill
a short-lived cache).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event

from learnapp.celebrate.models import Cheer
from learnapp.extensions import db
from learnapp.improvements.models import Improvement, ImprovementType, Status, StatusChange
from learnapp.models import ContributingFactor, Entry, FactorCategory, User, utcnow
from learnapp.tags import tags_named
from tests.conftest import recorded_sql

_numbers = itertools.count(1)


def add_history(author: User, others: list[User], count: int) -> list[Entry]:
    """``count`` entries by ``author``, each with tags, a factor, a thanks and improvements
    (one done and cheered), written straight to the database."""
    tags = tags_named([f"tag{n}" for n in range(3)])
    entries = []
    for n in range(count):
        number = next(_numbers)
        created = utcnow() - timedelta(hours=n + 1)
        entry = Entry(
            author=author,
            title=f"Stale cache number {number}",
            what_happened="The cache served old prices.",
            what_we_learned="Expire the cache on deploy.",
            idempotency_key=f"history-{number}",
            team_id=author.memberships[0].team_id,
            created_at=created,
            updated_at=created,
            tags=tags[: n % 3 + 1],
        )
        entry.factors.append(
            ContributingFactor(category=FactorCategory.TECHNICAL, factor="no test", note="")
        )
        for status in (Status.DONE, Status.PLANNED):
            improvement = Improvement(
                entry=entry,
                title=f"Expire caches {number} {status}",
                owner=others[0],
                created_by=author,
                type=ImprovementType.CODE,
                status=status,
                idempotency_key=f"improvement-{number}-{status}",
                created_at=created + timedelta(minutes=5),
                done_at=created + timedelta(minutes=30) if status is Status.DONE else None,
            )
            improvement.history.append(
                StatusChange(to_status=Status.PROPOSED, changed_by=author, changed_at=created)
            )
            entry.improvements.append(improvement)
        db.session.add(entry)
        db.session.flush()
        db.session.add(Cheer(user_id=others[1].id, entry_id=entry.id, created_at=created))
        done = entry.improvements[0]
        db.session.add(Cheer(user_id=others[1].id, improvement_id=done.id, created_at=created))
        entries.append(entry)
    db.session.commit()
    return entries


@contextmanager
def recorded_statements() -> Iterator[list[tuple[str, Any]]]:
    """Every statement the engine sends while the block runs, with its parameters."""
    seen: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        seen.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


@pytest.fixture
def org(make_user: Any) -> dict[str, User]:
    return {
        "reader": make_user("Reader"),
        "author": make_user("Author"),
        "owner": make_user("Owner"),
        "fan": make_user("Fan", team="payments"),
    }


# A plan line that reads a whole table (not a subquery's rows, nor the constant row).
TABLE_SCAN = re.compile(r"SCAN (?!anon_|CONSTANT|\()\w+")
SCANNED = re.compile(r"SCAN (\w+)\b(?! VIRTUAL TABLE INDEX)")
# Each list page and the index that must give its list's order.
LIST_INDEXES = {
    "/": "ix_entries_feed",
    "/?kind=incident": "ix_entries_feed",
    "/improvements": "ix_improvements_priority",
    "/improvements?sort=age": "ix_improvements_created",
    "/celebrate?period=all": "ix_improvements_done",
    "/me": "ix_entries_author_feed",
}


def whole_table_scans(plan: list[str]) -> list[str]:
    """The lines of a query plan that read a whole table: not the rows of a subquery the
    plan itself makes (a CO-ROUTINE or MATERIALIZE), nor a full-text index's matches."""
    subqueries = {line.split()[-1] for line in plan if line.startswith(("CO-ROUTINE", "MATERIAL"))}
    return [
        line
        for line in plan
        if (scan := SCANNED.match(line)) and scan[1] not in subqueries and scan[1] != "CONSTANT"
    ]


def query_plans(client: Any, url: str) -> list[tuple[str, list[str]]]:
    """(statement, its plan's lines) of every SELECT the page sends the second time."""
    client.get(url)
    with recorded_statements() as statements:
        assert client.get(url).status_code == 200
    connection = db.session.connection()
    return [
        (
            statement,
            [
                row[-1]
                for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
            ],
        )
        for statement, parameters in statements
        if statement.lstrip().upper().startswith("SELECT")
    ]


@pytest.mark.sqlite_only("reads SQLite's query plans")
@pytest.mark.parametrize(("url", "index"), LIST_INDEXES.items())
def test_each_list_takes_its_order_from_an_index(client, org, url, index):
    add_history(org["reader"], [org["owner"], org["fan"]], 3)
    client.login_as(org["reader"])
    plans = query_plans(client, url)
    listing = [lines for _, lines in plans if any(index in line for line in lines)]
    assert listing, f"no statement of {url} uses {index}"
    # The index gives the order; a sort may follow only in the outer query that joins the
    # page's rows to their repair states (a CO-ROUTINE: the page, limited, inside).
    sorts = any("TEMP B-TREE FOR ORDER BY" in line for line in listing[0])
    assert not sorts or listing[0][0].startswith("CO-ROUTINE"), listing[0]
    # Nothing else on the page sorts a whole table either (a sort after an index SEARCH
    # only orders the few rows of one key, such as one person's improvements; a sort
    # after GROUP BY orders the groups, one per person; one after a CO-ROUTINE orders a
    # page that was limited in it).
    whole_table_sorts = [
        statement
        for statement, lines in plans
        if "GROUP BY" not in statement
        and not lines[0].startswith("CO-ROUTINE")
        and any(TABLE_SCAN.match(line) for line in lines)
        and any("TEMP B-TREE FOR ORDER BY" in line for line in lines)
    ]
    assert whole_table_sorts == []


# Each page's statements, the request's BEGIN included; none may grow with the lists.
BUDGETS = {
    "/": 6,
    "/?kind=lesson&tag=tag1": 6,
    "/improvements": 6,
    "/improvements?sort=age&status=all": 6,
    "/celebrate?period=all": 6,
    "/people/{author}": 6,
    "/me": 6,
    "/search?q=stale": 6,
    "/incidents": 6,
    "/narratives": 6,
    "/narratives.atom": 6,
    # The entry page: the story with its tags and (no) incident, its improvements and
    # related lessons, each one bounded statement (an incident's page: its parts' one more).
    "/entries/{first}": 6,
}


def page_statements(client: Any, url: str) -> int:
    """Statements of the second request of ``url`` (the first may fill a short cache)."""
    client.get(url)
    with recorded_sql() as statements:
        assert client.get(url).status_code == 200, url
    return len(statements)


@pytest.mark.parametrize("url", BUDGETS)
def test_a_page_reads_in_a_fixed_number_of_statements(client, org, url):
    client.login_as(org["author"])
    helpers = [org["owner"], org["fan"]]
    first = add_history(org["author"], helpers, 2)[0]
    where = url.format(author=org["author"].id, first=first.id)
    few = page_statements(client, where)
    add_history(org["author"], helpers, 30)  # more than a page of everything
    many = page_statements(client, where)
    assert many == few, f"{where}: {few} statements with 2 entries, {many} with 32"
    assert many <= BUDGETS[url]


def test_a_quick_entry_writes_in_a_fixed_number_of_statements(client, org):
    browser = client.login_as(org["author"])
    helpers = [org["owner"], org["fan"]]

    def quick_entry(number: int) -> int:
        form = {"title": f"Quick {number}", "idempotency_key": f"quick-{number}"}
        with recorded_sql() as statements:
            assert browser.post("/entries", data=form, htmx=True).status_code == 200
        return len(statements)

    add_history(org["author"], helpers, 2)
    quick_entry(1)
    few = quick_entry(2)
    add_history(org["author"], helpers, 30)
    assert quick_entry(3) == few
    # A read transaction for the signed-in check (validation needs no lock), then the lock,
    # the row (a resent form is found when its key is refused) and its search entry: the
    # answer is rendered from what was just written.
    assert few <= 6


def test_open_now_counts_what_each_reader_sees_with_the_shared_part_kept(app, make_user):
    from learnapp.improvements.figures import Period, compute_figures
    from learnapp.models import Role, Visibility

    author = make_user("Author", role=Role.LEAD)
    teammate, outsider = make_user("Teammate"), make_user("Outsider", team="payments")
    [entry] = add_history(author, [teammate, outsider], 1)  # one planned improvement, org
    for visibility in (Visibility.TEAM, Visibility.PRIVATE):
        [other] = add_history(author, [author, outsider], 1)
        other.visibility = visibility
    db.session.commit()
    everything = Period(None, None)

    def open_now() -> list[int]:
        people = (author, teammate, outsider)
        return [compute_figures(p, None, everything).open_count for p in people]

    assert open_now() == [3, 2, 1]
    assert open_now() == [3, 2, 1]  # the organisation's part from the copy this time
    planned = entry.improvements[1]
    planned.status, planned.done_at = Status.DONE, utcnow()  # a write forgets the copy
    db.session.commit()
    assert open_now() == [2, 1, 0]
