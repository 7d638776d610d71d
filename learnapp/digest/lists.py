"""The lists and figures a digest is cut from, read for a scope of entries.

A scope is an SQL condition on ``Entry``: everything one reader may see (``visible_to``)
when a digest is composed alone, or a part of it that readers share
(``learnapp.digest.run``). Every row comes with its place in its list and whose entry it is
about (author, visibility, team), so that parts read apart can be merged and cut for one
reader exactly.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from functools import partial
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Row, Select, func, select
from sqlalchemy.orm import joinedload

from learnapp.celebrate.counts import improvement_cheer_count
from learnapp.celebrate.models import Cheer
from learnapp.digest.items import (
    Counts,
    Done,
    Found,
    Listed,
    Narrative,
    NewEntry,
    OpenItem,
    Resurfaced,
    Whose,
)
from learnapp.digest.weeks import IsoWeek
from learnapp.extensions import db
from learnapp.improvements.figures import Period, finished_in, repair_totals
from learnapp.improvements.models import OPEN_STATUSES, Improvement, Status
from learnapp.incidents.models import Incident
from learnapp.incidents.queries import published_query
from learnapp.models import Entry, Kind, User
from learnapp.visibility import person_name

NEW_SHOWN = 15  # new lessons (and, apart, incidents) listed; the rest are a link away
CHEERED_SHOWN = 3
OLDEST_SHOWN = 3
MINE_SHOWN = 10
SNIPPET = 240
RESURFACE_FROM = (("A year ago", 52), ("A quarter ago", 13))

WHOSE = (Entry.author_id, Entry.visibility, Entry.team_id)


def _whose(row: Row) -> Whose:
    """Whose entry a row is about, from its last columns (``WHOSE``)."""
    return Whose._make(row[-3:])


class Parts:
    """One week's lists and figures over the entries ``scope`` admits, each read when
    first asked for (``rows``): the lessons of a quarter ago, say, matter only to readers
    with none from a year ago.

    ``apart``: every row of every (author, visibility, team) group that a list could show
    is read, not only the list's first few, and figures come per group; then the rows of
    any union of groups can be cut from these (``rows_of``), exactly.
    """

    def __init__(
        self, scope: ColumnElement[bool], week: IsoWeek, zone: ZoneInfo, apart: bool = False
    ) -> None:
        period = week.period(zone)
        before = week.shifted(-1).period(zone)
        self._read: dict[str, Callable[[], list[Found]]] = {
            "done": partial(_done, scope, period),
            "most_cheered": partial(_most_cheered, scope, period, apart),
            "lessons": partial(_new_entries, scope, period, Kind.LESSON, apart),
            "incidents": partial(_new_entries, scope, period, Kind.INCIDENT, apart),
            "oldest_open": partial(_oldest_open, scope, period.end, apart),
            "figures": partial(_counts, scope, period, apart),
            "previous": partial(_counts, scope, before, apart),
        }
        for index, (when, weeks_back) in enumerate(RESURFACE_FROM):
            then = week.shifted(-weeks_back).period(zone)
            self._read[resurfaced(index)] = partial(_resurfaced, scope, then, when, apart)
        self._rows: dict[str, list[Found]] = {}
        self._by_author: dict[str, dict[int, list[Found]]] = {}

    def rows(self, name: str) -> list[Found]:
        """The rows of the list (or figures) ``name``, in their list's order."""
        if name not in self._rows:
            self._rows[name] = self._read[name]()
        return self._rows[name]

    def rows_of(self, name: str, author_id: int) -> list[Found]:
        """The rows of ``name`` about entries ``author_id`` wrote."""
        if name not in self._by_author:
            index = defaultdict(list)
            for found in self.rows(name):
                index[found.whose.author_id].append(found)
            self._by_author[name] = index
        return self._by_author[name].get(author_id, [])


def resurfaced(index: int) -> str:
    """The name of the lessons resurfacing from ``RESURFACE_FROM[index]`` in ``Parts``."""
    return f"resurfaced {index}"


def _snippet(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= SNIPPET else text[: SNIPPET - 1].rstrip() + "…"


# Lists read only the columns they show: loading each week's done improvements with their
# entries as objects took 8 ms per reader, most of a 200-reader run.
# Lists shared by many readers name no anonymous entry's author, not even to that author.
OWNER_SHOWN = person_name(Improvement.owner_id, User.display_name, None).label("owner")
DONE_COLUMNS = (
    Improvement.id,
    Improvement.title,
    OWNER_SHOWN,
    Improvement.status,
    Improvement.created_at,
    Improvement.done_at,
)


def _as_done(row: Row, cheers: int, place: tuple) -> Found[Done]:
    ident, title, owner, status, created_at, done_at = row[:6]
    finished = status is Status.DONE and done_at is not None
    done = Done(ident, title, owner, done_at - created_at if finished else None, cheers)
    return Found(place, _whose(row), done)


def _done(scope: ColumnElement[bool], period: Period) -> list[Found[Done]]:
    rows = db.session.execute(
        select(*DONE_COLUMNS, improvement_cheer_count(), *WHOSE)
        .join(Improvement.entry)
        .join(User, User.id == Improvement.owner_id)
        .where(scope, Improvement.status == Status.DONE, period.contains(Improvement.done_at))
        .order_by(Improvement.done_at, Improvement.id)
    )
    return [_as_done(row, row[6] or 0, (row[5], row[0])) for row in rows]


def _most_cheered(scope: ColumnElement[bool], period: Period, apart: bool) -> list[Found[Done]]:
    """The improvements that got the most cheers this week (done this week or before)."""
    cheers = (
        select(Cheer.improvement_id, func.count(Cheer.id).label("n"))
        .where(Cheer.improvement_id.is_not(None), period.contains(Cheer.created_at))
        .group_by(Cheer.improvement_id)
        .subquery()
    )
    rows = db.session.execute(
        select(*DONE_COLUMNS, cheers.c.n, *WHOSE)
        .join(cheers, cheers.c.improvement_id == Improvement.id)
        .join(Improvement.entry)
        .join(User, User.id == Improvement.owner_id)
        .where(scope)
        .order_by(cheers.c.n.desc(), Improvement.id)
        .limit(None if apart else CHEERED_SHOWN)
    ).all()
    return [_as_done(row, row[6], (-row[6], row[0])) for row in rows]


def _new_entries(
    scope: ColumnElement[bool], period: Period, kind: Kind, apart: bool
) -> list[Found[Listed]]:
    rows = db.session.scalars(
        select(Entry)
        .where(scope, Entry.kind == kind, period.contains(Entry.created_at))
        .order_by(Entry.created_at, Entry.id)
        .limit(None if apart else NEW_SHOWN + 1)
        .options(joinedload(Entry.author), joinedload(Entry.team))
    ).all()
    return [
        Found((e.created_at, e.id), Whose(e.author_id, e.visibility, e.team_id), _listed(e))
        for e in rows
    ]


def _listed(entry: Entry) -> Listed:
    team = entry.team.name if entry.team else ""
    others = NewEntry(
        entry.id, entry.title, entry.author_label_for(None), team, _snippet(entry.what_we_learned)
    )
    label = entry.author_label_for(entry.author)
    to_author = others if label == others.author else replace(others, author=label)
    return Listed(entry.author_id, to_author, others)


def _open_columns(reader: User | None) -> tuple[ColumnElement, ...]:
    owner = OWNER_SHOWN if reader is None else User.display_name.label("owner")
    return (
        Improvement.id,
        Improvement.title,
        owner,
        Improvement.priority,
        Improvement.status,
        Improvement.created_at,
    )


def _open_query(
    scope: ColumnElement[bool], until: datetime | None, reader: User | None = None
) -> Select:
    """Open improvements; owners as anyone may read them, or as ``reader``, who owns them."""
    query = (
        select(*_open_columns(reader), *WHOSE)
        .join(Improvement.entry)
        .join(User, User.id == Improvement.owner_id)
        .where(scope, Improvement.status.in_(OPEN_STATUSES))
    )
    if until is not None:
        # As the week ended: an improvement proposed after it is not part of it.
        query = query.where(Improvement.created_at < until)
    return query


def _as_open(row: Row, until: datetime | None) -> Found[OpenItem]:
    ident, title, owner, priority, status, created_at = row[:6]
    age = (until - created_at) if until else timedelta(0)
    item = OpenItem(ident, title, owner, f"P{priority}", status.label, age)
    return Found((created_at, ident), _whose(row), item)


def _oldest_open(
    scope: ColumnElement[bool], until: datetime | None, apart: bool
) -> list[Found[OpenItem]]:
    order = (Improvement.created_at, Improvement.id)
    query = _open_query(scope, until)
    if apart:
        # A reader's own rows are whole (author, visibility, team) groups, so their oldest
        # few are among each group's oldest few: enough, however many are open.
        rank = func.row_number().over(partition_by=WHOSE, order_by=order).label("rank")
        ranked = query.add_columns(rank).subquery()
        kept = [column for column in ranked.c if column.key != "rank"]
        query = select(*kept).where(ranked.c.rank <= OLDEST_SHOWN)
    else:
        query = query.order_by(*order).limit(OLDEST_SHOWN)
    return [_as_open(row, until) for row in db.session.execute(query)]


def read_my_open(
    reader: User, scope: ColumnElement[bool], until: datetime | None
) -> list[OpenItem]:
    """The open improvements ``reader`` owns on entries of ``scope``, most pressing first."""
    query = (
        _open_query(scope, until, reader)
        .where(Improvement.owner_id == reader.id)
        .order_by(Improvement.priority, Improvement.created_at, Improvement.id)
        .limit(MINE_SHOWN)
    )
    return [_as_open(row, until).item for row in db.session.execute(query)]


def _counts(scope: ColumnElement[bool], period: Period, apart: bool) -> list[Found[Counts]]:
    """The period's figures in one piece, or ``apart`` in one per whose entries."""
    query = select(*WHOSE, *repair_totals()) if apart else select(*repair_totals())
    query = query.where(scope, period.contains(Entry.created_at))
    totals = {
        Whose._make(row[:3]) if apart else None: tuple(row[-3:])
        for row in db.session.execute(query.group_by(*WHOSE) if apart else query)
    }
    lead_times = defaultdict(list)
    for row in db.session.execute(finished_in(scope, period, *WHOSE)):
        lead_times[_whose(row) if apart else None].append(row[1] - row[0])
    return [
        Found((), whose, Counts(*totals.get(whose, (0, 0, 0)), lead_times.get(whose, [])))
        for whose in totals.keys() | lead_times.keys()
    ]


def _resurfaced(
    scope: ColumnElement[bool], period: Period, when: str, apart: bool
) -> list[Found[Resurfaced]]:
    """The most thanked lesson of ``period`` (or ``apart``, all of them), the oldest first
    on a tie."""
    thanks = (
        (select(func.count(Cheer.id)).where(Cheer.entry_id == Entry.id).correlate(Entry))
        .scalar_subquery()
        .label("thanks")
    )
    rows = db.session.execute(
        select(
            Entry.id,
            Entry.title,
            Entry.what_we_learned,
            Entry.created_at,
            thanks,
            *WHOSE,
        )
        .where(
            scope,
            Entry.kind == Kind.LESSON,
            Entry.what_we_learned != "",
            period.contains(Entry.created_at),
        )
        .order_by(thanks.desc(), Entry.created_at, Entry.id)
        .limit(None if apart else 1)
    )
    return [
        Found(
            (-row[4], row[3], row[0]),
            _whose(row),
            Resurfaced(when, row[0], row[1], _snippet(row[2])),
        )
        for row in rows
    ]


def read_narratives(period: Period) -> list[Narrative]:
    """The narratives published in ``period``: for the whole organisation, whatever their
    entries' visibility, so every reader's digest lists the same ones."""
    rows = db.session.scalars(
        published_query()
        .where(period.contains(Incident.published_at))
        .order_by(Incident.published_at, Incident.id)
    )
    return [Narrative(i.entry_id, i.entry.title, i.severity_name) for i in rows]
