"""The 12-week trend: entries logged and improvements done per ISO week, drawn as SVG bars."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from sqlalchemy import ScalarSelect, func, select

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


def week_bounds(today: date, zone: ZoneInfo) -> tuple[list[date], list[datetime]]:
    """The last 12 weeks' Mondays and the 13 midnights (in ``zone``) that bound them."""
    mondays = week_starts(today)
    bounds = [datetime.combine(d, time(), zone) for d in [*mondays, mondays[-1] + timedelta(7)]]
    return mondays, bounds


def trend_columns(viewer: User, bounds: list[datetime]) -> list[ScalarSelect]:
    """Entries logged in each week between ``bounds``, then improvements done in each: one
    count per week, each read from an index range, for the viewer's eyes only."""
    logged = [
        select(func.count(Entry.id))
        .where(visible_to(viewer), Entry.created_at >= lo, Entry.created_at < hi)
        .scalar_subquery()
        for lo, hi in pairwise(bounds)
    ]
    done = [
        select(func.count(Improvement.id))
        .join(Improvement.entry)
        .where(
            visible_to(viewer),
            Improvement.status == Status.DONE,
            Improvement.done_at >= lo,
            Improvement.done_at < hi,
        )
        .scalar_subquery()
        for lo, hi in pairwise(bounds)
    ]
    return logged + done


def weeks_from(mondays: list[date], values: Sequence[int]) -> list[Week]:
    """The weeks, given the values of ``trend_columns`` in order."""
    logged, done = values[: len(mondays)], values[len(mondays) :]
    return [Week(m, int(e), int(d)) for m, e, d in zip(mondays, logged, done, strict=True)]


def weekly_counts(viewer: User, today: date, zone: ZoneInfo) -> list[Week]:
    """Entries logged and improvements done in each of the last 12 weeks (viewer's zone)."""
    mondays, bounds = week_bounds(today, zone)
    values = db.session.execute(select(*trend_columns(viewer, bounds))).one()
    return weeks_from(mondays, values)


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
