"""Giving and taking back a cheer or a thanks: one row per person and target, race-free."""

from __future__ import annotations

from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite

from learnapp.celebrate.models import Cheer
from learnapp.extensions import db
from learnapp.models import utcnow


def set_cheer(
    user_id: int, on: bool, improvement_id: int | None = None, entry_id: int | None = None
) -> None:
    """Make ``user_id``'s cheer of the target exist (``on``) or not; doing it twice is harmless.

    The insert skips a row that a double click or another worker already made, so the
    unique constraint never surfaces as an error.
    """
    if on:
        dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
        db.session.execute(
            dialect.insert(Cheer)
            .values(
                user_id=user_id,
                improvement_id=improvement_id,
                entry_id=entry_id,
                created_at=utcnow(),
            )
            .on_conflict_do_nothing()
        )
        return
    target = (
        Cheer.improvement_id == improvement_id if improvement_id else Cheer.entry_id == entry_id
    )
    db.session.execute(delete(Cheer).where(Cheer.user_id == user_id, target))
