"""Ranked search over entries and improvements, respecting visibility."""

from __future__ import annotations

from sqlalchemy import Float, Integer, Select, Subquery, select, text
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from learnapp.entries.queries import visible_to
from learnapp.extensions import db
from learnapp.improvements.models import Improvement
from learnapp.models import Entry, User
from learnapp.search.index import match_expression, rowid_of

# Title matches weigh ten times body matches. Only the newest RANKED matches are ranked:
# a word in 5,000 entries then costs what a word in 1,000 does (ranking every match took
# 25 ms at 100,000 entries), and 50 pages of 20 never reach past them.
# On SQLite the kind and id come from the rowid (``index.rowid_of``): reading the kind
# column fetched every match's stored text, 13 ms for a word in 800 improvements.
RANKED = 1_000
_SQLITE_HITS = (
    "SELECT rowid / 2 AS ref_id, bm25(search_fts, 0, 0, 10.0, 1.0) AS rank FROM search_fts "
    "WHERE search_fts MATCH :q AND rowid % 2 = :odd ORDER BY rowid DESC LIMIT :ranked"
)
_POSTGRES_HITS = (
    "SELECT ref_id, -ts_rank(document, to_tsquery('english', :q)) AS rank "
    "FROM search_documents WHERE kind = :kind AND document @@ to_tsquery('english', :q) "
    "ORDER BY ref_id DESC LIMIT :ranked"
)


def hits(kind: str, terms: list[str], any_term: bool = False) -> Subquery:
    """(ref_id, rank) of the newest ``RANKED`` indexed rows of ``kind`` that match; lower
    rank is better."""
    postgres = db.engine.dialect.name == "postgresql"
    sql = text(_POSTGRES_HITS if postgres else _SQLITE_HITS)
    which = {"kind": kind} if postgres else {"odd": rowid_of(kind, 0)}
    return (
        sql.bindparams(q=match_expression(terms, any_term), ranked=RANKED, **which)
        .columns(ref_id=Integer, rank=Float)
        .subquery("hits")
    )


_SQLITE_RECENT = (
    "SELECT rowid / 2 AS ref_id FROM search_fts WHERE search_fts MATCH :q "
    "AND rowid % 2 = :odd AND rowid < :before ORDER BY rowid DESC LIMIT :limit"
)
_POSTGRES_RECENT = (
    "SELECT ref_id FROM search_documents WHERE kind = :kind AND ref_id < :ref_id "
    "AND document @@ to_tsquery('english', :q) ORDER BY ref_id DESC LIMIT :limit"
)


def recent_hits(kind: str, terms: list[str], before: int, limit: int) -> Subquery:
    """(ref_id) of the ``limit`` newest rows of ``kind`` older than ``before`` (by id) that
    contain any of the words ``terms``: no ranking, so common words cost no more than rare
    ones (ranking every match of five common words took 150 ms at 100,000 entries)."""
    postgres = db.engine.dialect.name == "postgresql"
    sql = text(_POSTGRES_RECENT if postgres else _SQLITE_RECENT).bindparams(
        q=match_expression(terms, any_term=True, prefix=False), limit=limit
    )
    bound = (
        {"ref_id": before, "kind": kind}
        if postgres
        else {"before": rowid_of(kind, before), "odd": rowid_of(kind, 0)}
    )
    return sql.bindparams(**bound).columns(ref_id=Integer).subquery("recent_hits")


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
