"""Repair figures for a team or the organisation over a period (DESIGN.md §2, derived figures).

- conversion: share of the period's entries with a live (not dropped) improvement, or
  marked "no change needed";
- repair rate: share of the period's entries with a done improvement;
- lead time: done_at - created_at of the improvements done in the period, as the median
  and the 90th percentile (nearest rank: 9 in 10 were done within it);
- open now: improvements not yet done or dropped, and the oldest of them.

Everything counts only the entries the viewer may see.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    ScalarSelect,
    Select,
    and_,
    case,
    func,
    literal,
    or_,
    select,
    true,
)

from learnapp import choices
from learnapp.entries.queries import visible_to
from learnapp.extensions import db
from learnapp.improvements.models import OPEN_STATUSES, Improvement, Status
from learnapp.models import Entry, User, Visibility


@dataclass(frozen=True)
class Period:
    """From ``start`` (inclusive) to ``end`` (exclusive); None means unbounded."""

    start: datetime | None
    end: datetime | None

    @classmethod
    def from_dates(cls, first: date | None, last: date | None, zone: ZoneInfo) -> Period:
        """The whole days ``first`` to ``last`` (inclusive) in the reader's timezone."""
        start = datetime.combine(first, time(), zone) if first else None
        end = datetime.combine(last + timedelta(days=1), time(), zone) if last else None
        return cls(start, end)

    def contains(self, column: ColumnElement) -> ColumnElement[bool]:
        return and_(
            column >= self.start if self.start else true(),
            column < self.end if self.end else true(),
        )


@dataclass
class OldestOpen:
    id: int
    title: str
    created_at: datetime


@dataclass
class Figures:
    entries: int
    converted: int
    repaired: int
    lead_times: list[timedelta]
    open_count: int
    oldest_open: OldestOpen | None
    extra: tuple = ()  # values of the extra subqueries a page asked for (see compute_figures)

    @property
    def conversion(self) -> float | None:
        return self.converted / self.entries if self.entries else None

    @property
    def repair_rate(self) -> float | None:
        return self.repaired / self.entries if self.entries else None

    @property
    def median_lead_time(self) -> timedelta | None:
        if not self.lead_times:
            return None
        return timedelta(seconds=statistics.median(t.total_seconds() for t in self.lead_times))

    @property
    def p90_lead_time(self) -> timedelta | None:
        return percentile(self.lead_times, 90)


def percentile(values: list[timedelta], rank: int) -> timedelta | None:
    """The nearest-rank percentile: the smallest value with ``rank``% of values at or below."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(math.ceil(rank / 100 * len(ordered)) - 1, 0)]


def _in_scope(viewer: User, team_id: int | None) -> ColumnElement[bool]:
    scope = visible_to(viewer)
    return and_(scope, Entry.team_id == team_id) if team_id else scope


def _open_count(viewer: User, team_id: int | None) -> ColumnElement[int]:
    """How many improvements the viewer sees open: the organisation-wide ones, counted for
    every viewer alike and kept a few seconds (``learnapp.choices``), plus the viewer's
    own and their teams' exactly. Counting them all for each page took 20 ms at 30,000
    improvements, and grew with the years."""
    is_open = Improvement.status.in_(OPEN_STATUSES)
    team = [Entry.team_id == team_id] if team_id else []
    everyone = (
        select(func.count())
        .select_from(Improvement)
        .join(Improvement.entry)
        .where(is_open, Entry.visibility == Visibility.ORG, Entry.deleted_at.is_(None), *team)
    )
    shared = choices.cached(
        f"open-improvements-{team_id or 0}", lambda: db.session.scalar(everyone)
    )
    # Implied by visible_to for entries outside the organisation's, and spelled out so the
    # database reads them from the author's and the teams' indexes.
    mine = Entry.author_id == viewer.id
    if team_ids := viewer.team_ids:
        mine = or_(mine, and_(Entry.visibility == Visibility.TEAM, Entry.team_id.in_(team_ids)))
    own = (
        select(func.count())
        .select_from(Improvement)
        .join(Improvement.entry)
        .where(is_open, visible_to(viewer), Entry.visibility != Visibility.ORG, mine, *team)
    )
    # Uncorrelated: it reads its own rows (the totals' query reads entries too).
    return literal(shared) + own.scalar_subquery().correlate(None)


def open_now_columns(viewer: User, team_id: int | None) -> list[ColumnElement]:
    """How many improvements are open, and the oldest one's id, title and creation time,
    as scalar expressions (the oldest is one row of the ``created`` index)."""
    in_scope = (
        select(Improvement.id)
        .join(Improvement.entry)
        .where(_in_scope(viewer, team_id), Improvement.status.in_(OPEN_STATUSES))
    )
    oldest = in_scope.order_by(Improvement.created_at, Improvement.id).limit(1).subquery()
    return [
        _open_count(viewer, team_id),
        *(
            select(column).join(oldest, Improvement.id == oldest.c.id).scalar_subquery()
            for column in (Improvement.id, Improvement.title, Improvement.created_at)
        ),
    ]


def repair_totals() -> list[ColumnElement[int]]:
    """How many entries a statement on ``Entry`` reads, how many of them are converted (a
    live improvement, or "no change needed") and how many repaired (a done improvement)."""
    live = (
        select(Improvement.id)
        .where(Improvement.entry_id == Entry.id, Improvement.status != Status.DROPPED)
        .exists()
    )
    done = (
        select(Improvement.id)
        .where(Improvement.entry_id == Entry.id, Improvement.status == Status.DONE)
        .exists()
    )
    handled = or_(live, Entry.no_change_reason.is_not(None))
    return [
        func.count(Entry.id),
        func.coalesce(func.sum(case((handled, 1), else_=0)), 0),
        func.coalesce(func.sum(case((done, 1), else_=0)), 0),
    ]


def finished_in(scope: ColumnElement[bool], period: Period, *columns: ColumnElement) -> Select:
    """Creation and completion times (then ``columns``) of the improvements done in
    ``period`` on the entries ``scope`` admits: the lead times' rows."""
    return (
        select(Improvement.created_at, Improvement.done_at, *columns)
        .join(Improvement.entry)
        .where(scope, Improvement.status == Status.DONE, period.contains(Improvement.done_at))
    )


def compute_figures(
    viewer: User,
    team_id: int | None,
    period: Period,
    open_now: bool = True,
    extra: Sequence[ScalarSelect] = (),
) -> Figures:
    """The repair figures for ``team_id`` (or the organisation) over ``period``.

    Two statements: one row of totals (with what is open now, unless ``open_now`` is
    false, and the values of the ``extra`` scalar subqueries a page wants in the same
    trip, kept in ``Figures.extra``), and the lead times of the period's done improvements.
    """
    # Uncorrelated: the subqueries read their own rows, evaluated once, not per entry.
    others = [
        c.correlate(None) if isinstance(c, ScalarSelect) else c
        for c in [*(open_now_columns(viewer, team_id) if open_now else []), *extra]
    ]
    totals = db.session.execute(
        select(*repair_totals(), *others).where(
            _in_scope(viewer, team_id), period.contains(Entry.created_at)
        )
    ).one()
    entries, converted, repaired = totals[:3]
    rest = list(totals[3:])
    open_count, *oldest = rest[:4] if open_now else (0, None)
    extra_values = tuple(rest[4:] if open_now else rest)

    finished = db.session.execute(finished_in(_in_scope(viewer, team_id), period)).all()

    return Figures(
        entries=entries,
        converted=converted,
        repaired=repaired,
        lead_times=[done_at - created_at for created_at, done_at in finished],
        open_count=open_count,
        oldest_open=OldestOpen(*oldest) if oldest and oldest[0] is not None else None,
        extra=extra_values,
    )
