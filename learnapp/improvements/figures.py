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
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, case, func, or_, select, true

from learnapp.entries.queries import visible_to
from learnapp.extensions import db
from learnapp.improvements.models import OPEN_STATUSES, Improvement, Status
from learnapp.models import Entry, User


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


def compute_figures(viewer: User, team_id: int | None, period: Period) -> Figures:
    """The repair figures for ``team_id`` (or the organisation) over ``period``."""
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
    entries, converted, repaired = db.session.execute(
        select(
            func.count(Entry.id),
            func.coalesce(func.sum(case((handled, 1), else_=0)), 0),
            func.coalesce(func.sum(case((done, 1), else_=0)), 0),
        ).where(_in_scope(viewer, team_id), period.contains(Entry.created_at))
    ).one()

    finished = db.session.execute(
        select(Improvement.created_at, Improvement.done_at)
        .join(Improvement.entry)
        .where(
            _in_scope(viewer, team_id),
            Improvement.status == Status.DONE,
            period.contains(Improvement.done_at),
        )
    ).all()

    oldest = db.session.execute(
        select(Improvement.id, Improvement.title, Improvement.created_at, func.count().over())
        .join(Improvement.entry)
        .where(_in_scope(viewer, team_id), Improvement.status.in_(OPEN_STATUSES))
        .order_by(Improvement.created_at, Improvement.id)
        .limit(1)
    ).first()

    return Figures(
        entries=entries,
        converted=converted,
        repaired=repaired,
        lead_times=[done_at - created_at for created_at, done_at in finished],
        open_count=oldest[3] if oldest else 0,
        oldest_open=OldestOpen(*oldest[:3]) if oldest else None,
    )
