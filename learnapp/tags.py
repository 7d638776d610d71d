"""Tags: parsing what a user types, and finding or creating the rows."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from learnapp.extensions import db
from learnapp.models import Tag

TAG_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{0,39}$")
MAX_TAGS = 10


def parse_tags(text: str) -> list[str]:
    """Tag names from "deploy, On-call #db": lower-cased, unique, in order; ValueError if bad."""
    names: list[str] = []
    for raw in re.split(r"[,\s]+", text or ""):
        name = raw.strip().lstrip("#").lower()
        if not name:
            continue
        if not TAG_PATTERN.match(name):
            raise ValueError(
                f"“{raw[:40]}” is not a tag: use letters, digits, '-', '_' or '.', "
                "up to 40 characters."
            )
        if name not in names:
            names.append(name)
    if len(names) > MAX_TAGS:
        raise ValueError(f"Use at most {MAX_TAGS} tags.")
    return names


def tags_named(names: list[str]) -> list[Tag]:
    """The Tag rows for ``names``, creating the missing ones (in the current transaction)."""
    if not names:
        return []
    found = {t.name: t for t in db.session.scalars(select(Tag).where(Tag.name.in_(names)))}
    missing = [name for name in names if name not in found]
    if missing:
        # Another request may be adding the same new tag right now; on PostgreSQL both run
        # at once and the second INSERT would break the unique name (a 500). Let the
        # database keep whichever row comes first, then read the rows as they are. In
        # sorted order, so two requests wait for each other's names in one order, never
        # in a circle (a deadlock).
        db.session.execute(
            _insert(db.session.get_bind().dialect.name)(Tag)
            .values([{"name": name} for name in sorted(missing)])
            .on_conflict_do_nothing(index_elements=["name"])
        )
        added = db.session.scalars(select(Tag).where(Tag.name.in_(missing)))
        found.update((t.name, t) for t in added)
    return [found[name] for name in names]


def _insert(dialect: str) -> Any:
    """The INSERT construct of ``dialect`` (both ours know ON CONFLICT DO NOTHING)."""
    return postgresql_insert if dialect == "postgresql" else sqlite_insert
