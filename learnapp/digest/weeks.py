"""ISO weeks (Monday to Sunday) in the organisation's timezone, written ``2026-W03``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app

from learnapp.improvements.figures import Period
from learnapp.parsing import parse_week


@dataclass(frozen=True, order=True)
class IsoWeek:
    """One ISO 8601 week: ``year`` is the ISO year, which differs near New Year."""

    year: int
    week: int

    @classmethod
    def parse(cls, text: str) -> IsoWeek:
        """``2026-W03`` as a week; ValueError when malformed, outside 2000 to 2100, or the
        year has no such week."""
        return cls(*parse_week(text))

    @classmethod
    def of(cls, day: date) -> IsoWeek:
        """The week ``day`` falls in."""
        year, week, _ = day.isocalendar()
        return cls(year, week)

    @classmethod
    def containing(cls, moment: datetime, zone: ZoneInfo) -> IsoWeek:
        """The week that ``moment`` falls in, on the calendar of ``zone``."""
        return cls.of(moment.astimezone(zone).date())

    def __str__(self) -> str:
        return f"{self.year}-W{self.week:02d}"

    @property
    def monday(self) -> date:
        return date.fromisocalendar(self.year, self.week, 1)

    @property
    def sunday(self) -> date:
        return self.monday + timedelta(days=6)

    def shifted(self, weeks: int) -> IsoWeek:
        """The week ``weeks`` later (earlier when negative)."""
        return IsoWeek.of(self.monday + timedelta(weeks=weeks))

    def period(self, zone: ZoneInfo) -> Period:
        """From Monday 00:00 to the next Monday 00:00 in ``zone`` (DST makes it 167-169 h)."""
        start = datetime.combine(self.monday, time(), zone)
        return Period(start, datetime.combine(self.monday + timedelta(days=7), time(), zone))

    @property
    def label(self) -> str:
        """ "Week 3, 12-18 January 2026" (both months named when the week spans two)."""
        first, last = self.monday, self.sunday
        start = f"{first.day} {first:%B}" if first.month != last.month else str(first.day)
        if first.year != last.year:
            start += f" {first.year}"
        return f"Week {self.week}, {start}-{last.day} {last:%B} {last.year}"


def org_zone() -> ZoneInfo:
    """The organisation's timezone (``ORG_TIMEZONE``): digest weeks follow its calendar."""
    return ZoneInfo(current_app.config["ORG_TIMEZONE"])
