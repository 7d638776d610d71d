"""Writing entries: create exactly once per form, soft delete and restore."""

from __future__ import annotations

from learnapp.entries.forms import NewEntryForm
from learnapp.extensions import db
from learnapp.idempotency import create_once
from learnapp.improvements.writing import improvement_from_change
from learnapp.incidents.writing import declare
from learnapp.models import Entry, Kind, User, utcnow
from learnapp.rows import insert_now
from learnapp.search.index import index_now


def create_entry_once(form: NewEntryForm, author: User) -> Entry:
    """Create the entry the form describes; a resent form returns the entry made first.

    When the author asked for it, "what we will change" becomes an improvement they own,
    in the same transaction; an incident gets its incident record there too.
    """

    def build(key: str) -> Entry:
        entry = Entry(author=author, idempotency_key=key)
        form.apply_to(entry)
        # The most frequent write: its row goes in with one INSERT, its tags, improvement
        # and incident through the unit of work at commit (see learnapp/rows.py).
        insert_now(db.session(), entry)
        index_now(db.session(), entry)
        if form.track_change.data and entry.what_we_will_change:
            db.session.add(improvement_from_change(entry, author))
        if entry.kind is Kind.INCIDENT:
            declare(entry, author, **form.incident.form.values())
        return entry

    entry, _ = create_once(Entry, Entry.author_id, author.id, form.idempotency_key.data, build)
    return entry


def soft_delete(entry: Entry) -> None:
    """Hide ``entry`` everywhere while keeping it restorable."""
    if entry.deleted_at is None:
        entry.deleted_at = utcnow()


def restore(entry: Entry) -> None:
    """Bring a soft-deleted entry back."""
    entry.deleted_at = None
