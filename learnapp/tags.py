"""Tags: parsing what a user types, and finding or creating the rows."""

from __future__ import annotations

import re

from sqlalchemy import select

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
    existing = {t.name: t for t in db.session.scalars(select(Tag).where(Tag.name.in_(names)))}
    tags = []
    for name in names:
        tag = existing.get(name)
        if tag is None:
            tag = Tag(name=name)
            db.session.add(tag)
        tags.append(tag)
    return tags
