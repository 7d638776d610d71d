"""A status move that happens once: a conditional UPDATE, then its history row.

Improvements and incidents both move along a flow and record each move. Two clicks, or two
people at once, must record one change: the row changes only while its status is still the
one the mover saw, and the history row is written only when it did.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import update

from learnapp.extensions import db


def move_if_still(row: Any, expected: Any, values: dict[str, Any], history: Any) -> bool:
    """Set ``values`` on ``row`` if its status is still ``expected``, and add ``history`` (its
    status-change row) when it was; returns whether it moved. ``row`` is expired either way,
    so the caller reads what the database now holds."""
    model = type(row)
    result = db.session.execute(
        update(model)
        .where(model.id == row.id, model.status == expected)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    db.session.expire(row)
    if result.rowcount != 1:
        return False
    db.session.add(history)
    db.session.flush()
    return True
