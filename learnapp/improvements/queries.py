"""Who may see and move which improvement, and the backlog's filtered, keyset-paged query."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from flask import abort
from sqlalchemy import Select, func, literal, or_, select, tuple_
from sqlalchemy.orm import contains_eager, defaultload, joinedload

from learnapp import choices
from learnapp.celebrate.counts import improvement_cheer_options
from learnapp.choices import Person
from learnapp.entries.queries import visible_to
from learnapp.extensions import db
from learnapp.improvements.models import OPEN_STATUSES, Improvement, ImprovementType, Status
from learnapp.models import Entry, Membership, User, Visibility
from learnapp.parsing import (
    SAFE_EARLIEST,
    encode_instant,
    parse_date,
    parse_id,
    parse_instant,
)
from learnapp.visibility import names_person, person_label

FAR_FUTURE = date(9999, 12, 31)


def load_visible_improvement(improvement_id: int, viewer: User) -> Improvement:
    """The improvement if ``viewer`` may see its entry; 404 otherwise."""
    improvement = db.session.scalar(
        select(Improvement)
        .join(Improvement.entry)
        .where(Improvement.id == improvement_id, visible_to(viewer))
        .options(
            contains_eager(Improvement.entry).joinedload(Entry.team),
            joinedload(Improvement.owner),
            *improvement_cheer_options(viewer),
        )
        # Fresh values even when the row is already loaded (after a move, say).
        .execution_options(populate_existing=True)
    )
    if improvement is None:
        abort(404)
    return improvement


def can_move(improvement: Improvement, user: User) -> bool:
    """The owner, the entry's author, a lead of the entry's team, or an admin."""
    entry = improvement.entry
    return (
        user.id in (improvement.owner_id, entry.author_id)
        or user.is_lead_of(entry.team_id)
        or user.is_admin
    )


def can_handle_entry(entry: Entry, user: User) -> bool:
    """Who may mark an entry "no change needed": its author, a lead of its team, an admin."""
    return user.id == entry.author_id or user.is_lead_of(entry.team_id) or user.is_admin


def who_can_move(improvement: Improvement, viewer: User) -> str:
    """Say who may move ``improvement`` (never naming an anonymous entry's author)."""
    entry = improvement.entry
    lead = f"a lead of {entry.team.name}" if entry.team else None
    owner = person_label(entry, improvement.owner, viewer)
    people = [f"its owner ({owner})", "the entry's author", lead]
    listed = ", ".join(p for p in people if p)
    return f"Only {listed} or an admin can change this improvement."


def active_people() -> list[Person]:
    """Everyone who can sign in, by name (a copy a few seconds old at most)."""
    return choices.active_people()


def possible_owners(entry: Entry) -> list[Person]:
    """Active people who can see ``entry``, by name: only they can own its improvements."""
    if entry.visibility is Visibility.ORG:
        return choices.active_people()
    query = (
        select(User.id, User.display_name)
        .where(User.is_active_account.is_(True))
        .order_by(User.display_name, User.id)
    )
    if entry.visibility is Visibility.PRIVATE:
        query = query.where(User.id == entry.author_id)
    else:
        members = select(Membership.user_id).where(Membership.team_id == entry.team_id)
        query = query.where(or_(User.id == entry.author_id, User.id.in_(members)))
    return [Person(*row) for row in db.session.execute(query)]


@dataclass
class BacklogFilters:
    """What the backlog shows: each field empty means "any"."""

    status: str = "open"
    owner_id: int | None = None
    team_id: int | None = None
    type: str = ""
    overdue: bool = False
    sort: str = "priority"
    today: date = field(default_factory=date.today)


# Each sort: the columns it orders by, all ascending, ending in the id (unique, for keysets).
SORTS = {
    "priority": (Improvement.priority, Improvement.created_at, Improvement.id),
    "age": (Improvement.created_at, Improvement.id),
    "due": (func.coalesce(Improvement.due_date, FAR_FUTURE), Improvement.id),
}


def _filtered(viewer: User, filters: BacklogFilters) -> Select:
    query = select(Improvement).join(Improvement.entry).where(visible_to(viewer))
    if filters.status == "open":
        query = query.where(Improvement.status.in_(OPEN_STATUSES))
    elif filters.status in Status.__members__.values():
        query = query.where(Improvement.status == Status(filters.status))
    if filters.owner_id:
        # A person's improvements on their own anonymous entries are not theirs to others.
        query = query.where(
            Improvement.owner_id == filters.owner_id, names_person(Improvement.owner_id, viewer)
        )
    if filters.team_id:
        query = query.where(Entry.team_id == filters.team_id)
    if filters.type:
        query = query.where(Improvement.type == ImprovementType(filters.type))
    if filters.overdue:
        query = query.where(
            Improvement.status.in_(OPEN_STATUSES), Improvement.due_date < filters.today
        )
    return query.options(
        contains_eager(Improvement.entry).joinedload(Entry.team),
        joinedload(Improvement.owner),
    )


def sort_key(improvement: Improvement, sort: str) -> tuple:
    """The values of ``improvement`` that the ``sort`` orders by (a keyset cursor)."""
    if sort == "priority":
        return (improvement.priority, improvement.created_at, improvement.id)
    if sort == "due":
        return (improvement.due_date or FAR_FUTURE, improvement.id)
    return (improvement.created_at, improvement.id)


def encode_key(key: tuple) -> str:
    """A sort key as URL text: ints as digits, timestamps as UTC microseconds, dates as ISO."""
    parts = []
    for value in key:
        if isinstance(value, datetime):
            parts.append(f"t{encode_instant(value)}")
        elif isinstance(value, date):
            parts.append("d" + value.isoformat())
        else:
            parts.append(str(value))
    return "~".join(parts)


def decode_key(text: str | None, sort: str) -> tuple | None:
    """The sort key in ``text`` if it fits ``sort``; None (the first page) when malformed."""
    shapes = {"priority": "itn", "age": "tn", "due": "dn"}[sort]
    parts = (text or "").split("~")
    if len(parts) != len(shapes):
        return None
    try:
        return tuple(_decode_part(part, shape) for part, shape in zip(parts, shapes, strict=True))
    except ValueError:
        return None


def _decode_part(part: str, shape: str) -> object:
    value: object = None
    if shape == "t" and part.startswith("t"):
        value = parse_instant(part[1:])
    elif shape == "d" and part.startswith("d"):
        # A date is never shifted, and "no due date" sorts as FAR_FUTURE.
        value = parse_date(part[1:], earliest=SAFE_EARLIEST.date(), latest=FAR_FUTURE)
    elif shape in "in":
        value = parse_id(part)
    if value is None:
        raise ValueError(part)
    return value


@dataclass
class BacklogPage:
    improvements: list[Improvement]
    next_key: tuple | None


def backlog_page(
    viewer: User, filters: BacklogFilters, after: tuple | None, page_size: int
) -> BacklogPage:
    """One page of the backlog, in the chosen order, after the row whose sort key is ``after``."""
    columns = SORTS[filters.sort]
    query = _filtered(viewer, filters).options(*improvement_cheer_options(viewer))
    if after is not None:
        # Typed binds, so timestamps go through the same UTC conversion as the columns.
        bounds = [
            literal(value, type_=column.type) for column, value in zip(columns, after, strict=True)
        ]
        query = query.where(tuple_(*columns) > tuple_(*bounds))
    rows = list(db.session.scalars(query.order_by(*columns).limit(page_size + 1)))
    more = len(rows) > page_size
    rows = rows[:page_size]
    return BacklogPage(rows, sort_key(rows[-1], filters.sort) if more else None)


def backlog_export_query(viewer: User, filters: BacklogFilters) -> Select:
    """Every improvement the filters select, in order, in batches (for the CSV export)."""
    return (
        _filtered(viewer, filters)
        .order_by(*SORTS[filters.sort])
        .options(defaultload(Improvement.entry).selectinload(Entry.tags))
        .execution_options(yield_per=500)
    )
