"""The 12-week trend: entries logged and improvements done per ISO week, drawn as SVG bars."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, case, func, select

from learnapp.entries.queries import visible_to
from learnapp.extensions import db
from learnapp.improvements.models import Improvement, Status
from learnapp.models import Entry, User

WEEKS = 12
WIDTH, HEIGHT, AXIS = 600, 180, 20  # the SVG's viewBox; AXIS is the room for week labels


@dataclass(frozen=True)
class Week:
    monday: date
    entries: int
    done: int

    @property
    def label(self) -> str:
        year, week, _ = self.monday.isocalendar()
        return f"{year}-W{week:02d}"


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    value: int


def week_starts(today: date, weeks: int = WEEKS) -> list[date]:
    """The Mondays of the last ``weeks`` ISO weeks, oldest first, ending with this week's."""
    this_monday = today - timedelta(days=today.weekday())
    return [this_monday - timedelta(weeks=n) for n in range(weeks - 1, -1, -1)]


def _per_week(column: ColumnElement, bounds: list[datetime]) -> list:
    return [
        func.coalesce(func.sum(case((and_(column >= lo, column < hi), 1), else_=0)), 0)
        for lo, hi in pairwise(bounds)
    ]


def weekly_counts(viewer: User, today: date, zone: ZoneInfo) -> list[Week]:
    """Entries logged and improvements done in each of the last 12 weeks (viewer's zone)."""
    mondays = week_starts(today)
    bounds = [datetime.combine(d, time(), zone) for d in [*mondays, mondays[-1] + timedelta(7)]]
    logged = db.session.execute(
        select(*_per_week(Entry.created_at, bounds)).where(
            visible_to(viewer), Entry.created_at >= bounds[0]
        )
    ).one()
    done = db.session.execute(
        select(*_per_week(Improvement.done_at, bounds))
        .join(Improvement.entry)
        .where(
            visible_to(viewer),
            Improvement.status == Status.DONE,
            Improvement.done_at >= bounds[0],
        )
    ).one()
    return [Week(m, int(e), int(d)) for m, e, d in zip(mondays, logged, done, strict=True)]


def bars(weeks: list[Week]) -> tuple[list[Bar], list[Bar]]:
    """Two bars per week (entries logged, improvements done) on one scale."""
    top = max([1, *(w.entries for w in weeks), *(w.done for w in weeks)])
    slot = WIDTH / len(weeks)
    width = slot * 0.38
    plot = HEIGHT - AXIS

    def bar(index: int, offset: float, value: int) -> Bar:
        height = plot * value / top
        return Bar(
            round(index * slot + offset, 2),
            round(plot - height, 2),
            round(width, 2),
            round(height, 2),
            value,
        )

    logged = [bar(i, slot * 0.1, w.entries) for i, w in enumerate(weeks)]
    done = [bar(i, slot * 0.1 + width, w.done) for i, w in enumerate(weeks)]
    return logged, done
