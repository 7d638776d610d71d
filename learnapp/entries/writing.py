"""Writing entries: create exactly once per form, soft delete and restore."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from learnapp.entries.forms import NewEntryForm
from learnapp.extensions import db
from learnapp.models import Entry, User, utcnow


def _existing(author: User, key: str) -> Entry | None:
    return db.session.scalar(
        select(Entry).where(Entry.author_id == author.id, Entry.idempotency_key == key)
    )


def create_entry_once(form: NewEntryForm, author: User) -> Entry:
    """Create the entry the form describes; a resent form returns the entry made first."""
    key = form.idempotency_key.data or str(uuid.uuid4())
    earlier = _existing(author, key)
    if earlier is not None:
        return earlier
    entry = Entry(author=author, idempotency_key=key)
    form.apply_to(entry)
    db.session.add(entry)
    try:
        db.session.commit()
    except IntegrityError:
        # Two copies of the same submit raced (possible on PostgreSQL): keep the first.
        db.session.rollback()
        earlier = _existing(author, key)
        if earlier is None:
            raise
        return earlier
    return entry


def soft_delete(entry: Entry) -> None:
    """Hide ``entry`` everywhere while keeping it restorable."""
    if entry.deleted_at is None:
        entry.deleted_at = utcnow()


def restore(entry: Entry) -> None:
    """Bring a soft-deleted entry back."""
    entry.deleted_at = None
