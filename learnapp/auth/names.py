"""Display names people can tell apart: no two active people share one (``name_key``).

The forms check first, for a clear field error; the partial unique index on
``users.display_name_key`` decides when two requests race, and ``is_name_clash`` tells that
refusal from the others so the loser gets the same field error, not an error page.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from learnapp.extensions import db
from learnapp.models import MAX_NAME_KEY, User, name_key

NAME_TAKEN = (
    "Someone else is already called that (ignoring case and spaces). Add something that tells "
    "you apart, such as an initial or your team."
)
NAME_TOO_LONG = "This name is too long once its characters are spelled out; please shorten it."
INDEX = "uq_users_display_name_key"


def name_problem(name: str, user_id: int | None = None) -> str | None:
    """Why ``name`` cannot be the display name of ``user_id`` (None: a new person), or None."""
    key = name_key(name)
    if len(key) > MAX_NAME_KEY:
        return NAME_TOO_LONG
    return NAME_TAKEN if name_taken(key, user_id) else None


def name_taken(key: str, user_id: int | None = None) -> bool:
    """Whether an active person other than ``user_id`` has the name key ``key``."""
    query = select(User.id).where(User.display_name_key == key, User.is_active_account.is_(True))
    if user_id is not None:
        query = query.where(User.id != user_id)
    return db.session.scalar(query.limit(1)) is not None


def is_name_clash(error: IntegrityError) -> bool:
    """Whether ``error`` is the unique index on display names refusing a row."""
    # SQLite names the column ("users.display_name_key"), PostgreSQL the index: both hold it.
    return "display_name_key" in str(error.orig)


def commit_unless_name_taken() -> bool:
    """Commit; False (rolled back) when another active person took the name meanwhile."""
    try:
        db.session.commit()
    except IntegrityError as error:
        db.session.rollback()
        if not is_name_clash(error):
            raise
        return False
    return True


def free_name(name: str, user_id: int) -> str:
    """``name``, or ``name (2)``, ``(3)``… : the first that no other active person has."""
    candidate, number = name, 1
    while name_taken(name_key(candidate), user_id):
        number += 1
        suffix = f" ({number})"
        candidate = name.strip()[: 80 - len(suffix)].rstrip() + suffix
    return candidate
