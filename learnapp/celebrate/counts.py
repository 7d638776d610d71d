"""Cheer and thanks counts loaded with the rows that show them (no query per card)."""

from __future__ import annotations

from sqlalchemy import ScalarSelect, exists, func, select
from sqlalchemy.orm import with_expression
from sqlalchemy.orm.interfaces import LoaderOption

from learnapp.celebrate.models import Cheer
from learnapp.improvements.models import Improvement
from learnapp.models import Entry, User


def entry_thanks_options(viewer: User) -> list[LoaderOption]:
    """Load ``Entry.thanks_count`` and ``Entry.thanked_by_me`` in the entries' own query."""
    count = (
        select(func.count(Cheer.id)).where(Cheer.entry_id == Entry.id).correlate(Entry)
    ).scalar_subquery()
    mine = exists().where(Cheer.entry_id == Entry.id, Cheer.user_id == viewer.id)
    return [
        with_expression(Entry.thanks_count, count),
        with_expression(Entry.thanked_by_me, mine),
    ]


def improvement_cheer_count() -> ScalarSelect[int]:
    """How many cheers the improvement of the enclosing query has (a correlated count)."""
    return (
        select(func.count(Cheer.id))
        .where(Cheer.improvement_id == Improvement.id)
        .correlate(Improvement)
        .scalar_subquery()
    )


def improvement_cheer_options(viewer: User) -> list[LoaderOption]:
    """Load ``Improvement.cheer_count`` and ``cheered_by_me`` in the improvements' query."""
    count = improvement_cheer_count()
    mine = exists().where(Cheer.improvement_id == Improvement.id, Cheer.user_id == viewer.id)
    return [
        with_expression(Improvement.cheer_count, count),
        with_expression(Improvement.cheered_by_me, mine),
    ]
