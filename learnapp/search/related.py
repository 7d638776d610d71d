"""Related lessons: earlier entries that share tags, factors or words ("this happened before")."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from learnapp.entries.queries import visible_to
from learnapp.extensions import db
from learnapp.models import ContributingFactor, Entry, User, entry_tags
from learnapp.search.index import terms_of
from learnapp.search.queries import hits

SHOWN = 5
CANDIDATES = 50
# A shared tag says more than a shared factor, and either more than a shared word.
TAG_WEIGHT, FACTOR_WEIGHT, WORDS_WEIGHT = 3, 2, 1


def related_entries(entry: Entry, viewer: User) -> list[Entry]:
    """Up to five entries from before ``entry`` that the viewer may see, most related first."""
    scores: Counter[int] = Counter()
    tag_ids = [tag.id for tag in entry.tags]
    if tag_ids:
        shared = db.session.execute(
            select(entry_tags.c.entry_id, func.count())
            .where(entry_tags.c.tag_id.in_(tag_ids), entry_tags.c.entry_id != entry.id)
            .group_by(entry_tags.c.entry_id)
            .order_by(func.count().desc(), entry_tags.c.entry_id.desc())
            .limit(CANDIDATES)
        )
        for entry_id, count in shared:
            scores[entry_id] += TAG_WEIGHT * count
    factors = [factor.factor for factor in entry.factors]
    if factors:
        shared = db.session.execute(
            select(ContributingFactor.entry_id, func.count())
            .where(ContributingFactor.factor.in_(factors), ContributingFactor.entry_id != entry.id)
            .group_by(ContributingFactor.entry_id)
            .limit(CANDIDATES)
        )
        for entry_id, count in shared:
            scores[entry_id] += FACTOR_WEIGHT * count
    words = [t for t in terms_of(entry.title) if len(t) > 3]
    if words:
        found = hits("entry", words, any_term=True)
        ranked = db.session.scalars(
            select(found.c.ref_id)
            .where(found.c.ref_id != entry.id)
            .order_by(found.c.rank)
            .limit(CANDIDATES)
        )
        for position, entry_id in enumerate(ranked):
            scores[entry_id] += WORDS_WEIGHT * (1 + (CANDIDATES - position) / CANDIDATES)
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
