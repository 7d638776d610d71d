"""What one reader's digest of one ISO week says (DESIGN.md §5).

``compose_digest`` is a pure function of the database and the week: it reads, never writes,
never looks at the clock, and counts only what the reader may see (``visible_to``). Ages of
open improvements are measured to the end of the week, so a digest composed again later
says the same. Celebration comes first: improvements done that week with their owners and
lead times, and the most cheered; then new lessons and incidents, published narratives, the
oldest open improvements, the reader's own open items, the week's figures beside the
previous week's, and one lesson resurfaced from a year or a quarter ago.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import g
from sqlalchemy import Row, func, select
from sqlalchemy.orm import joinedload

from learnapp.celebrate.counts import improvement_cheer_count
from learnapp.celebrate.models import Cheer
from learnapp.digest.weeks import IsoWeek
from learnapp.entries.queries import visible_to
from learnapp.extensions import db
from learnapp.improvements.figures import Figures, Period, compute_figures
from learnapp.improvements.models import OPEN_STATUSES, Improvement, Status
from learnapp.incidents.models import Incident
from learnapp.incidents.queries import published_query
from learnapp.models import Entry, Kind, User

NEW_SHOWN = 15  # new lessons (and, apart, incidents) listed; the rest are a link away
CHEERED_SHOWN = 3
OLDEST_SHOWN = 3
MINE_SHOWN = 10
SNIPPET = 240
RESURFACE_FROM = (("A year ago", 52), ("A quarter ago", 13))


@dataclass(frozen=True)
class Done:
    id: int
    title: str
    owner: str
    lead_time: timedelta | None
    cheers: int


@dataclass(frozen=True)
class NewEntry:
    id: int
    title: str
    author: str  # "a teammate" for an anonymous entry of someone else
    team: str
    learned: str


@dataclass(frozen=True)
class Narrative:
    entry_id: int
    title: str
    severity: str


@dataclass(frozen=True)
class OpenItem:
    id: int
    title: str
    owner: str
    priority: str
    status: str
    age: timedelta


@dataclass(frozen=True)
class Resurfaced:
    when: str
    entry_id: int
    title: str
    learned: str


@dataclass
class Digest:
    """One reader's digest of one week, ready to render (no lazy loads left)."""

    week: IsoWeek
    reader_name: str
    done: list[Done] = field(default_factory=list)
    most_cheered: list[Done] = field(default_factory=list)
    lessons: list[NewEntry] = field(default_factory=list)
    incidents: list[NewEntry] = field(default_factory=list)
    more_entries: bool = False
    narratives: list[Narrative] = field(default_factory=list)
    oldest_open: list[OpenItem] = field(default_factory=list)
    my_open: list[OpenItem] = field(default_factory=list)
    figures: Figures | None = None
    previous: Figures | None = None
    resurfaced: Resurfaced | None = None

    @property
    def is_quiet(self) -> bool:
        """Nothing was logged, done, cheered or published this week (that the reader sees)."""
        return not (
            self.done or self.most_cheered or self.lessons or self.incidents or self.narratives
        )

    @property
    def has_content(self) -> bool:
        """Whether the reader sees anything at all: without it, no email is sent."""
        counted = any(f and (f.entries or f.lead_times) for f in (self.figures, self.previous))
        return not self.is_quiet or bool(
            self.oldest_open or self.my_open or self.resurfaced or counted
        )


def compose_digest(reader: User, week: IsoWeek, zone: ZoneInfo) -> Digest:
    """The digest of ``week`` (in ``zone``, the organisation's timezone) for ``reader``."""
    period = week.period(zone)
    lessons, incidents, more = _new_entries(reader, period)
    return Digest(
        week=week,
        reader_name=reader.display_name,
        done=_done(reader, period),
        most_cheered=_most_cheered(reader, period),
        lessons=lessons,
        incidents=incidents,
        more_entries=more,
        narratives=_narratives(reader, period),
        oldest_open=_open(reader, period.end, None, OLDEST_SHOWN),
        my_open=_open(reader, period.end, reader.id, MINE_SHOWN),
        # The digest shows no "open now" figure: it lists the oldest open items itself.
        figures=compute_figures(reader, None, period, open_now=False),
        previous=compute_figures(reader, None, week.shifted(-1).period(zone), open_now=False),
        resurfaced=_resurfaced(reader, week, zone),
    )


def _snippet(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= SNIPPET else text[: SNIPPET - 1].rstrip() + "…"


# Lists read only the columns they show: loading each week's done improvements with their
# entries as objects took 8 ms per reader, most of a 200-reader run.
DONE_COLUMNS = (
    Improvement.id,
    Improvement.title,
    User.display_name,
    Improvement.status,
    Improvement.created_at,
    Improvement.done_at,
)


def _as_done(row: Row, cheers: int) -> Done:
    ident, title, owner, status, created_at, done_at = row[:6]
    finished = status is Status.DONE and done_at is not None
    return Done(ident, title, owner, done_at - created_at if finished else None, cheers)


def _done(reader: User, period: Period) -> list[Done]:
    rows = db.session.execute(
        select(*DONE_COLUMNS, improvement_cheer_count())
        .join(Improvement.entry)
        .join(User, User.id == Improvement.owner_id)
        .where(
            visible_to(reader),
            Improvement.status == Status.DONE,
            period.contains(Improvement.done_at),
        )
        .order_by(Improvement.done_at, Improvement.id)
    )
    return [_as_done(row, row[6] or 0) for row in rows]


def _most_cheered(reader: User, period: Period) -> list[Done]:
    """The improvements that got the most cheers this week (done this week or before)."""
    cheers = (
        select(Cheer.improvement_id, func.count(Cheer.id).label("n"))
        .where(Cheer.improvement_id.is_not(None), period.contains(Cheer.created_at))
        .group_by(Cheer.improvement_id)
        .subquery()
    )
    rows = db.session.execute(
        select(*DONE_COLUMNS, cheers.c.n)
        .join(cheers, cheers.c.improvement_id == Improvement.id)
        .join(Improvement.entry)
        .join(User, User.id == Improvement.owner_id)
        .where(visible_to(reader))
        .order_by(cheers.c.n.desc(), Improvement.id)
        .limit(CHEERED_SHOWN)
    ).all()
    return [_as_done(row, row[6]) for row in rows]


def _new_entries(reader: User, period: Period) -> tuple[list[NewEntry], list[NewEntry], bool]:
    found: dict[Kind, list[NewEntry]] = {Kind.LESSON: [], Kind.INCIDENT: []}
    more = False
    for kind, items in found.items():
        rows = db.session.scalars(
            select(Entry)
            .where(visible_to(reader), Entry.kind == kind, period.contains(Entry.created_at))
            .order_by(Entry.created_at, Entry.id)
            .limit(NEW_SHOWN + 1)
            .options(joinedload(Entry.author), joinedload(Entry.team))
        ).all()
        more = more or len(rows) > NEW_SHOWN
        items.extend(
            NewEntry(
                e.id,
                e.title,
                e.author_label_for(reader),
                e.team.name if e.team else "",
                _snippet(e.what_we_learned),
            )
            for e in rows[:NEW_SHOWN]
        )
    return found[Kind.LESSON], found[Kind.INCIDENT], more


def _narratives(reader: User, period: Period) -> list[Narrative]:
    # A published narrative is for the whole organisation, whatever its entry's visibility:
    # every reader's digest of a week lists the same ones, read once per run (or request).
    known: dict[Period, list[Narrative]] = g.setdefault("digest_narratives", {})
    if period not in known:
        rows = db.session.scalars(
            published_query()
            .where(period.contains(Incident.published_at))
            .order_by(Incident.published_at, Incident.id)
        )
        known[period] = [Narrative(i.entry_id, i.entry.title, i.severity_name) for i in rows]
    return known[period]


def _open(reader: User, until: datetime | None, owner_id: int | None, limit: int) -> list[OpenItem]:
    query = (
        select(
            Improvement.id,
            Improvement.title,
            User.display_name,
            Improvement.priority,
            Improvement.status,
            Improvement.created_at,
        )
        .join(Improvement.entry)
        .join(User, User.id == Improvement.owner_id)
        .where(visible_to(reader), Improvement.status.in_(OPEN_STATUSES))
        .limit(limit)
    )
    if until is not None:
        # As the week ended: an improvement proposed after it is not part of it.
        query = query.where(Improvement.created_at < until)
    if owner_id is None:
        query = query.order_by(Improvement.created_at, Improvement.id)
    else:
        query = query.where(Improvement.owner_id == owner_id).order_by(
            Improvement.priority, Improvement.created_at, Improvement.id
        )
    return [
        OpenItem(
            ident,
            title,
            owner,
            f"P{priority}",
            status.label,
            (until - created_at) if until else timedelta(0),
        )
        for ident, title, owner, priority, status, created_at in db.session.execute(query)
    ]


def _resurfaced(reader: User, week: IsoWeek, zone: ZoneInfo) -> Resurfaced | None:
    """The most thanked lesson the reader may see from the same week a year (else a
    quarter) ago, oldest first on a tie."""
    thanks = (
        select(func.count(Cheer.id)).where(Cheer.entry_id == Entry.id).correlate(Entry)
    ).scalar_subquery()
    for when, weeks_back in RESURFACE_FROM:
        then = week.shifted(-weeks_back).period(zone)
        entry = db.session.scalars(
            select(Entry)
            .where(
                visible_to(reader),
                Entry.kind == Kind.LESSON,
                Entry.what_we_learned != "",
                then.contains(Entry.created_at),
            )
            .order_by(thanks.desc(), Entry.created_at, Entry.id)
            .limit(1)
        ).first()
        if entry is not None:
            return Resurfaced(when, entry.id, entry.title, _snippet(entry.what_we_learned))
    return None
