"""Create a row exactly once per form: a resent form returns the row made the first time."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from learnapp.extensions import db

Row = TypeVar("Row")


def new_key() -> str:
    """A fresh idempotency key for a form."""
    return str(uuid.uuid4())


def create_once(
    model: type[Row], creator_column: Any, creator_id: int, key: str, build: Callable[[str], Row]
) -> tuple[Row, bool]:
    """Commit the row ``build(key)`` adds, unless ``creator_id`` already made one with ``key``.

    The model has a unique constraint on (creator, idempotency_key): the row is written
    straight away, and only a refused write (a resent form, or two copies of one submit at
    once) looks for the row made first. Returns the row and whether it was created now.
    """
    key = key or new_key()
    try:
        row = build(key)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        found = db.session.scalar(
            select(model).where(creator_column == creator_id, model.idempotency_key == key)  # type: ignore[attr-defined]
        )
        if found is None:
            raise  # another constraint refused it
        return found, False
    return row, True
