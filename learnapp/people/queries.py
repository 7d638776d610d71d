"""What one person's history shows to a viewer: never a private or anonymous entry of
someone else, and figures that count only what the viewer may see."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Select, and_, func, or_, select, true, union_all
from sqlalchemy.orm import joinedload, selectinload

from learnapp.celebrate.counts import entry_thanks_options
from learnapp.celebrate.models import Cheer
from learnapp.entries.queries import Cursor, FeedPage, visible_to
from learnapp.extensions import db
from learnapp.improvements.models import OPEN_STATUSES, Improvement, Status
from learnapp.models import Entry, Kind, Tag, User
from learnapp.visibility import names_person

OWNED_SHOWN = 20


def their_entries(person: User | int, viewer: User) -> Select:
    """Entries ``person`` (or the person with that id) wrote that ``viewer`` may see as
    theirs.

    Anonymous entries are the author's alone here: listing them under a name would undo
    the anonymity.
    """
    person_id = person if isinstance(person, int) else person.id
    query = select(Entry).where(Entry.author_id == person_id, visible_to(viewer))
    if viewer.id != person_id:
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
                joinedload(Entry.improvements),  # joined: see feed_page
                *entry_thanks_options(viewer),
            )
        ).unique()
    )
    return FeedPage(rows[:size], Cursor.after(rows[size - 1]) if len(rows) > size else None)


@dataclass
class PersonFigures:
    lessons: int
    improvements_done: int
    median_lead_time: timedelta | None
    thanks_received: int


def _owned_ids(person: User, viewer: User, open_: bool) -> Select:
    statuses = OPEN_STATUSES if open_ else (Status.DONE,)
    order = Improvement.created_at if open_ else Improvement.done_at.desc()
    return (
        select(Improvement.id)
        .join(Improvement.entry)
        .where(Improvement.owner_id == person.id, Improvement.status.in_(statuses))
        .where(visible_to(viewer), names_person(Improvement.owner_id, viewer))
        .order_by(order, Improvement.id)
        .limit(OWNED_SHOWN)
    )


def owned_improvements(person: User, viewer: User) -> tuple[list[Improvement], list[Improvement]]:
    """Improvements ``person`` owns on entries the viewer sees: the open ones, oldest first,
    and the done ones, newest first (both in one statement)."""
    both = union_all(
        *(select(ids.c.id) for ids in (_owned_ids(person, viewer, o).subquery() for o in (1, 0)))
    )
    rows = db.session.scalars(
        select(Improvement).where(Improvement.id.in_(both)).options(joinedload(Improvement.owner))
    ).all()
    open_ = sorted((i for i in rows if i.status.is_open), key=lambda i: (i.created_at, i.id))
    done = [i for i in rows if i.status is Status.DONE]
    done.sort(key=lambda i: i.id)
    done.sort(key=lambda i: i.done_at, reverse=True)
    return open_, done


def person_figures(person_id: int, viewer: User) -> tuple[User | None, PersonFigures | None]:
    """The person and their figures: lessons logged, improvements done, their median lead
    time, thanks received. One statement: the person's row with the two counts, joined to
    the lead times of the done improvements; (None, None) when there is no such person."""
    entries = their_entries(person_id, viewer).subquery()
    totals = select(
        select(func.count()).select_from(entries).scalar_subquery().label("lessons"),
        select(func.count(Cheer.id))
        .join(entries, Cheer.entry_id == entries.c.id)
        .scalar_subquery()
        .label("thanks"),
    ).subquery()
    done = (
        select(Improvement.created_at, Improvement.done_at)
        .join(Improvement.entry)
        .where(
            Improvement.owner_id == person_id,
            Improvement.status == Status.DONE,
            visible_to(viewer),
            names_person(Improvement.owner_id, viewer),
        )
        .subquery()
    )
    rows = db.session.execute(
        select(User, totals.c.lessons, totals.c.thanks, done.c.created_at, done.c.done_at)
        .select_from(User)
        .join(totals, true())
        .outerjoin(done, true())
        .where(User.id == person_id)
    ).all()
    if not rows:
        return None, None
    person, lessons, thanks = rows[0][:3]
    leads = [(row[4] - row[3]).total_seconds() for row in rows if row[3] is not None]
    median = timedelta(seconds=statistics.median(leads)) if leads else None
    return person, PersonFigures(lessons, len(leads), median, thanks)
