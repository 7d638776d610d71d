"""learnapp.rows.insert_now: one INSERT, then a persistent object like any loaded one."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, select
from sqlalchemy.exc import IntegrityError

from learnapp.extensions import db
from learnapp.improvements.models import Improvement
from learnapp.models import Entry, Kind, Visibility, entry_tags
from learnapp.rows import insert_now
from learnapp.tags import tags_named
from tests.conftest import recorded_sql


def new_entry(author, key="key-1", **fields) -> Entry:
    return Entry(author=author, idempotency_key=key, title="Cache stampede", **fields)


def test_one_insert_gives_back_what_the_database_stored(author):
    entry = new_entry(author, team_id=author.memberships[0].team_id)
    with recorded_sql() as statements:
        insert_now(db.session(), entry)
    assert [s.split()[0] for s in statements if s != "BEGIN IMMEDIATE"] == ["INSERT"]
    state = inspect(entry)
    assert state.persistent and not state.modified
    # The author's id came from the relationship, the rest from the columns' defaults.
    assert entry.id and entry.author_id == author.id
    assert entry.kind is Kind.LESSON and entry.visibility is Visibility.ORG
    assert entry.created_at is not None and entry.created_at.tzinfo is not None
    db.session.commit()
    db.session.expire_all()
    stored = db.session.get(Entry, entry.id)
    assert (stored.title, stored.author_id, stored.team_id) == (
        "Cache stampede",
        author.id,
        author.memberships[0].team_id,
    )


def test_a_new_row_has_no_children_to_ask_for(author):
    entry = new_entry(author)
    insert_now(db.session(), entry)
    with recorded_sql() as statements:
        assert entry.tags == [] and entry.improvements == [] and entry.factors == []
        assert entry.author is author
    assert statements == []


def test_children_set_before_or_after_are_written_by_the_next_flush(author):
    entry = new_entry(author, tags=tags_named(["cache", "deploy"]))
    insert_now(db.session(), entry)
    improvement = Improvement(
        entry=entry, title="Warm the cache", owner=author, created_by=author, idempotency_key="k"
    )
    db.session.add(improvement)
    db.session.commit()
    db.session.expire_all()
    stored = db.session.get(Entry, entry.id)
    assert [t.name for t in stored.tags] == ["cache", "deploy"]
    assert [i.id for i in stored.improvements] == [improvement.id]
    tag_rows = db.session.execute(select(entry_tags).where(entry_tags.c.entry_id == entry.id))
    assert len(tag_rows.all()) == 2


def test_a_refused_insert_raises_and_leaves_the_row_new(author):
    insert_now(db.session(), new_entry(author))
    db.session.commit()
    again = new_entry(author)
    with pytest.raises(IntegrityError):
        insert_now(db.session(), again)
    db.session.rollback()
    assert inspect(again).transient
    assert db.session.scalar(select(Entry.id).where(Entry.idempotency_key == "key-1"))
