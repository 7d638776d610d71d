"""Related lessons: earlier entries that share tags, factors or words ("this happened before")."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import Select, func, literal_column, select, union_all
from sqlalchemy.orm import joinedload

from learnapp.entries.queries import visible_to
from learnapp.extensions import db
from learnapp.models import ContributingFactor, Entry, User, entry_tags
from learnapp.search.index import terms_of
from learnapp.search.queries import recent_hits

SHOWN = 5
CANDIDATES = 50
# A shared tag says more than a shared factor, and either more than a shared word.
TAG_WEIGHT, FACTOR_WEIGHT, WORDS_WEIGHT = 3, 2, 1


def _candidates(entry: Entry) -> Select | None:
    """One statement of (entry id, score) rows: per earlier entry (by id) that shares tags,
    factors or title words with ``entry``, each kind of likeness its 50 best or newest."""
    parts: list[Select] = []
    if tag_ids := [tag.id for tag in entry.tags]:
        tags = (
            select(entry_tags.c.entry_id, (TAG_WEIGHT * func.count()).label("score"))
            .where(entry_tags.c.tag_id.in_(tag_ids), entry_tags.c.entry_id < entry.id)
            .group_by(entry_tags.c.entry_id)
            .order_by(func.count().desc(), entry_tags.c.entry_id.desc())
            .limit(CANDIDATES)
            .subquery("shared_tags")
        )
        parts.append(select(tags.c.entry_id, tags.c.score))
    if factors := [factor.factor for factor in entry.factors]:
        column = ContributingFactor.entry_id
        shared = (
            select(column, (FACTOR_WEIGHT * func.count()).label("score"))
            .where(ContributingFactor.factor.in_(factors), column < entry.id)
            .group_by(column)
            .order_by(column.desc())
            .limit(CANDIDATES)
            .subquery("shared_factors")
        )
        parts.append(select(shared.c.entry_id, shared.c.score))
    if words := [t for t in terms_of(entry.title) if len(t) > 3]:
        found = recent_hits("entry", words, entry.id, CANDIDATES)
        parts.append(select(found.c.ref_id, literal_column(str(WORDS_WEIGHT))))
    if len(parts) > 1:
        return union_all(*parts)  # type: ignore[return-value]
    return parts[0] if parts else None


def related_entries(entry: Entry, viewer: User) -> list[Entry]:
    """Up to five entries from before ``entry`` that the viewer may see, most related first
    (two statements: the candidates and their scores, then the visible ones among them)."""
    query = _candidates(entry)
    if query is None:
        return []
    scores: Counter[int] = Counter()
    for entry_id, score in db.session.execute(query):
        scores[entry_id] += score
    if not scores:
        return []
    candidates = db.session.scalars(
        select(Entry)
        .where(
            Entry.id.in_(list(scores)),
            Entry.created_at < entry.created_at,
            visible_to(viewer),
        )
        .options(joinedload(Entry.author), joinedload(Entry.team))
    ).all()
    ordered = sorted(candidates, key=lambda e: (-scores[e.id], -e.created_at.timestamp()))
    return ordered[:SHOWN]
