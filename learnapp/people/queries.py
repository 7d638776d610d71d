"""What one person's history shows to a viewer: never a private or anonymous entry of
someone else, and figures that count only what the viewer may see."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from learnapp.celebrate.counts import entry_thanks_options
from learnapp.celebrate.models import Cheer
from learnapp.entries.queries import Cursor, FeedPage, visible_to
from learnapp.extensions import db
from learnapp.improvements.models import OPEN_STATUSES, Improvement, Status
from learnapp.models import Entry, Kind, Tag, User

OWNED_SHOWN = 20


def their_entries(person: User, viewer: User) -> Select:
    """Entries ``person`` wrote that ``viewer`` may see as theirs.

    Anonymous entries are the author's alone here: listing them under a name would undo
    the anonymity.
    """
    query = select(Entry).where(Entry.author_id == person.id, visible_to(viewer))
    if viewer.id != person.id:
        query = query.where(Entry.anonymous.is_(False))
    return query


def history_page(
    person: User, viewer: User, cursor: Cursor | None, size: int, kind: str, tag: str, text: str
) -> FeedPage:
    """One page of the person's entries, newest first, filtered."""
    query = their_entries(person, viewer)
    if kind:
        query = query.where(Entry.kind == Kind(kind))
    if tag:
        query = query.where(Entry.tags.any(Tag.name == tag))
    if text:
        pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(
            or_(
                *(
                    column.ilike(pattern, escape="\\")
                    for column in (Entry.title, Entry.what_happened, Entry.what_we_learned)
                )
            )
        )
    if cursor:
        query = query.where(
            or_(
                Entry.created_at < cursor.created_at,
                and_(Entry.created_at == cursor.created_at, Entry.id < cursor.id),
            )
        )
    rows = list(
        db.session.scalars(
            query.order_by(Entry.created_at.desc(), Entry.id.desc())
            .limit(size + 1)
            .options(
                joinedload(Entry.team),
                selectinload(Entry.tags),
                selectinload(Entry.improvements),
                *entry_thanks_options(viewer),
            )
        )
    )
    return FeedPage(rows[:size], Cursor.after(rows[size - 1]) if len(rows) > size else None)


@dataclass
class PersonFigures:
    lessons: int
    improvements_done: int
    median_lead_time: timedelta | None
    thanks_received: int


def owned_improvements(person: User, viewer: User, open_: bool) -> list[Improvement]:
    """Improvements ``person`` owns (open, or done newest first) on entries the viewer sees."""
    statuses = OPEN_STATUSES if open_ else (Status.DONE,)
    order = Improvement.created_at if open_ else Improvement.done_at.desc()
    query = (
        select(Improvement)
        .join(Improvement.entry)
        .where(Improvement.owner_id == person.id, Improvement.status.in_(statuses))
        .where(visible_to(viewer))
        .order_by(order, Improvement.id)
        .limit(OWNED_SHOWN)
        .options(joinedload(Improvement.owner))
    )
    return list(db.session.scalars(query))


def person_figures(person: User, viewer: User) -> PersonFigures:
    """Lessons logged, improvements done, their median lead time, thanks received."""
    entries = their_entries(person, viewer).subquery()
    lessons = db.session.scalar(select(func.count()).select_from(entries))
    thanks = db.session.scalar(
        select(func.count(Cheer.id)).join(entries, Cheer.entry_id == entries.c.id)
    )
    done = db.session.execute(
        select(Improvement.created_at, Improvement.done_at)
        .join(Improvement.entry)
        .where(
            Improvement.owner_id == person.id,
            Improvement.status == Status.DONE,
            visible_to(viewer),
        )
    ).all()
    leads = [(finished - started).total_seconds() for started, finished in done]
    median = timedelta(seconds=statistics.median(leads)) if leads else None
    return PersonFigures(lessons, len(leads), median, thanks)
