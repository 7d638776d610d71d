"""Ranked search over entries and improvements, respecting visibility."""

from __future__ import annotations

from sqlalchemy import Float, Integer, Select, Subquery, select, text
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from learnapp.entries.queries import visible_to
from learnapp.extensions import db
from learnapp.improvements.models import Improvement
from learnapp.models import Entry, User
from learnapp.search.index import match_expression

# Title matches weigh ten times body matches.
_SQLITE_HITS = (
    "SELECT ref_id, bm25(search_fts, 0, 0, 10.0, 1.0) AS rank FROM search_fts "
    "WHERE search_fts MATCH :q AND kind = :kind"
)
_POSTGRES_HITS = (
    "SELECT ref_id, -ts_rank(document, to_tsquery('english', :q)) AS rank "
    "FROM search_documents WHERE kind = :kind AND document @@ to_tsquery('english', :q)"
)


def hits(kind: str, terms: list[str], any_term: bool = False) -> Subquery:
    """(ref_id, rank) of the indexed rows of ``kind`` that match; lower rank is better."""
    sql = _POSTGRES_HITS if db.engine.dialect.name == "postgresql" else _SQLITE_HITS
    return (
        text(sql)
        .bindparams(q=match_expression(terms, any_term), kind=kind)
        .columns(ref_id=Integer, rank=Float)
        .subquery("hits")
    )


def _page(query: Select, found: Subquery, limit: int, offset: int) -> Select:
    return query.order_by(found.c.rank, found.c.ref_id.desc()).limit(limit).offset(offset)


def search_entries(viewer: User, terms: list[str], limit: int, offset: int = 0) -> list[Entry]:
    """Entries the viewer may see that contain every term, best first."""
    if not terms:
        return []
    found = hits("entry", terms)
    query = (
        select(Entry)
        .join(found, found.c.ref_id == Entry.id)
        .where(visible_to(viewer))
        .options(joinedload(Entry.author), joinedload(Entry.team), selectinload(Entry.tags))
    )
    return list(db.session.scalars(_page(query, found, limit, offset)))


def search_improvements(
    viewer: User, terms: list[str], limit: int, offset: int = 0
) -> list[Improvement]:
    """Improvements on entries the viewer may see that contain every term, best first."""
    if not terms:
        return []
    found = hits("improvement", terms)
    query = (
        select(Improvement)
        .join(found, found.c.ref_id == Improvement.id)
        .join(Improvement.entry)
        .where(visible_to(viewer))
        .options(contains_eager(Improvement.entry), joinedload(Improvement.owner))
    )
    return list(db.session.scalars(_page(query, found, limit, offset)))
