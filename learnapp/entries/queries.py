"""Who may see which entry, and the feed's keyset-paginated query."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from flask import abort
from sqlalchemy import and_, false, or_, select
from sqlalchemy.orm import contains_eager, joinedload, selectinload
from sqlalchemy.sql.elements import ColumnElement

from learnapp.celebrate.counts import entry_thanks_options
from learnapp.extensions import db
from learnapp.models import Entry, Kind, Tag, User, Visibility, entry_tags
from learnapp.parsing import encode_instant, parse_keyset


def visible_to(viewer: User, include_deleted: bool = False) -> ColumnElement[bool]:
    """SQL condition: entries ``viewer`` may read.

    Organisation entries: everyone signed in. Team entries: that team's members. Private
    entries: the author only. Admins get no extra reading rights.
    """
    return _visibility(viewer.id, tuple(sorted(viewer.team_ids)), include_deleted)


# SQL expressions are immutable, so one made for a reader serves every statement after:
# the digest asks for each reader's about ten times, and building it was a seventh of
# its time. The key is everything the condition depends on.
@functools.lru_cache(maxsize=1024)
def _visibility(
    viewer_id: int, team_ids: tuple[int, ...], include_deleted: bool
) -> ColumnElement[bool]:
    readable = or_(
        Entry.visibility == Visibility.ORG, Entry.author_id == viewer_id, in_teams(team_ids)
    )
    return readable if include_deleted else and_(Entry.deleted_at.is_(None), readable)


def in_teams(team_ids: Iterable[int]) -> ColumnElement[bool]:
    """SQL condition: team entries of one of ``team_ids`` (none when there are none)."""
    ids = sorted(team_ids)
    if not ids:
        return false()
    return and_(Entry.visibility == Visibility.TEAM, Entry.team_id.in_(ids))


def load_visible_entry(entry_id: int, viewer: User, include_deleted: bool = False) -> Entry:
    """The entry if ``viewer`` may see it; 404 otherwise (never 403: that would confirm it).

    ``entry_id`` comes from an ``<id:…>`` route, which has kept it within 1 to 2^63-1.
    """
    # One statement for the entry, its few tags and its incident record (None for a lesson;
    # ``Entry.incident`` is the incident model's backref): the entry page reads all three.
    # The tags' joins are spelt out one by one: joinedload (and a join along the
    # relationship) nests them in parentheses, which SQLite answers by reading every tag
    # of every entry.
    entry = (
        db.session.execute(
            select(Entry)
            .outerjoin(entry_tags, entry_tags.c.entry_id == Entry.id)
            .outerjoin(Tag, Tag.id == entry_tags.c.tag_id)
            .where(Entry.id == entry_id, visible_to(viewer, include_deleted))
            .options(
                joinedload(Entry.author),
                joinedload(Entry.team),
                contains_eager(Entry.tags),
                joinedload(Entry.incident),  # type: ignore[attr-defined]
                *entry_thanks_options(viewer),
            )
            .order_by(Tag.name)
        )
        .unique()
        .scalar_one_or_none()
    )
    if entry is None:
        abort(404)
    return entry


def can_edit(entry: Entry, user: User) -> bool:
    return entry.author_id == user.id


def can_delete(entry: Entry, user: User) -> bool:
    return entry.author_id == user.id or user.is_admin


@dataclass(frozen=True)
class Cursor:
    """Position in a newest-first list: the last row shown."""

    created_at: datetime
    id: int

    def encode(self) -> str:
        return f"{encode_instant(self.created_at)}-{self.id}"

    @classmethod
    def decode(cls, text: str | None) -> Cursor | None:
        """The cursor in ``text``, or None when absent or malformed (then: the first page)."""
        position = parse_keyset(text)
        return None if position is None else cls(*position)

    @classmethod
    def after(cls, entry: Entry) -> Cursor:
        return cls(entry.created_at, entry.id)


@dataclass
class FeedPage:
    entries: list[Entry]
    next_cursor: Cursor | None


def feed_page(
    viewer: User,
    cursor: Cursor | None,
    page_size: int,
    kind: str = "",
    team_id: int = 0,
    tag: str = "",
) -> FeedPage:
    """One page of the entries ``viewer`` may see, newest first, after ``cursor``."""
    query = select(Entry).where(visible_to(viewer))
    if kind:
        query = query.where(Entry.kind == Kind(kind))
    if team_id:
        query = query.where(Entry.team_id == team_id)
    if tag:
        query = query.where(Entry.tags.any(Tag.name == tag))
    if cursor:
        query = query.where(
            or_(
                Entry.created_at < cursor.created_at,
                and_(Entry.created_at == cursor.created_at, Entry.id < cursor.id),
            )
        )
    query = (
        query.order_by(Entry.created_at.desc(), Entry.id.desc())
        .limit(page_size + 1)
        .options(
            joinedload(Entry.author),
            joinedload(Entry.team),
            # The repair states come joined (a few rows per entry); the tags apart, since
            # SQLite builds a temporary index of every tagging for a joined many-to-many.
            selectinload(Entry.tags),
            joinedload(Entry.improvements),
            *entry_thanks_options(viewer),
        )
    )
    rows = list(db.session.scalars(query).unique())
    more = len(rows) > page_size
    rows = rows[:page_size]
    return FeedPage(rows, Cursor.after(rows[-1]) if more else None)
