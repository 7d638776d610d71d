"""Related lessons: earlier entries that share tags, factors or words ("this happened before")."""

from __future__ import annotations

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
        parts.append(select(tags.c.entry_id.label("entry_id"), tags.c.score.label("score")))
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
        parts.append(select(shared.c.entry_id.label("entry_id"), shared.c.score.label("score")))
    if words := [t for t in terms_of(entry.title) if len(t) > 3]:
        found = recent_hits("entry", words, entry.id, CANDIDATES)
        parts.append(
            select(
                found.c.ref_id.label("entry_id"), literal_column(str(WORDS_WEIGHT)).label("score")
            )
        )
    if len(parts) > 1:
        return union_all(*parts)  # type: ignore[return-value]
    return parts[0] if parts else None


def related_entries(entry: Entry, viewer: User) -> list[Entry]:
    """Up to five entries from before ``entry`` that the viewer may see, most related first,
    in one statement: the candidates' scores summed, joined to the visible entries."""
    query = _candidates(entry)
    if query is None:
        return []
    candidates = query.subquery("candidates")
    scores = (
        select(candidates.c.entry_id, func.sum(candidates.c.score).label("score"))
        .group_by(candidates.c.entry_id)
        .subquery("scores")
    )
    return list(
        db.session.scalars(
            select(Entry)
            .join(scores, scores.c.entry_id == Entry.id)
            .where(Entry.created_at < entry.created_at, visible_to(viewer))
            .order_by(scores.c.score.desc(), Entry.created_at.desc(), Entry.id.desc())
            .limit(SHOWN)
            .options(joinedload(Entry.author), joinedload(Entry.team))
        )
    )
