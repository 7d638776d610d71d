"""Strict parsing of what a request names: ids, counts, keyset cursors, dates, weeks, times.

Every helper accepts ASCII digits only (``"²".isdigit()`` is true and ``int("²")`` raises;
``int("\u0661")`` is 1) and keeps values inside what Python and the databases can hold after any
timezone shift: ids within SQLite's 64-bit integers, dates and times at least a day away
from years 1 and 9999, so that reading them in a timezone never overflows.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

from werkzeug.routing import BaseConverter, ValidationError
from wtforms import Field
from wtforms.validators import ValidationError as WTFormsValidationError

MAX_ID = 2**63 - 1
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)
# The calendar the app deals in: due dates, filters and digest weeks stay within it.
EARLIEST_DATE, LATEST_DATE = date(2000, 1, 1), date(2100, 12, 31)
# Naive times a day inside Python's range survive any UTC offset (all are under 24 hours).
SAFE_EARLIEST = datetime(1, 1, 2)
SAFE_LATEST = datetime(9999, 12, 30)
LATEST_MICROS = (datetime(9999, 12, 30, tzinfo=UTC) - EPOCH) // MICROSECOND

_DIGITS = re.compile(r"[0-9]+", re.ASCII)
_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})", re.ASCII)
_WEEK = re.compile(r"([0-9]{4})-W([0-9]{2})", re.ASCII)


def parse_count(text: str | None, maximum: int) -> int | None:
    """A non-negative whole number of ASCII digits, at most ``maximum``; None otherwise."""
    if not text or len(text) > len(str(maximum)) or not _DIGITS.fullmatch(text):
        return None
    value = int(text)
    return value if value <= maximum else None


def parse_id(text: str | None) -> int | None:
    """A row id (1 to 2^63-1, ASCII digits); None for anything else."""
    value = parse_count(text, MAX_ID)
    return value if value else None


def parse_instant(text: str | None) -> datetime | None:
    """UTC microseconds since 1970 (as cursors write them) as an aware time; None if not."""
    micros = parse_count(text, LATEST_MICROS)
    return None if micros is None else EPOCH + micros * MICROSECOND


def encode_instant(moment: datetime) -> str:
    """``moment`` as whole UTC microseconds since 1970 (a rounded cursor would skip rows)."""
    return str((moment - EPOCH) // MICROSECOND)


def parse_keyset(text: str | None) -> tuple[datetime, int] | None:
    """A ``<microseconds>-<id>`` keyset position; None when absent or malformed."""
    micros, _, ident = (text or "").partition("-")
    moment, row_id = parse_instant(micros), parse_id(ident)
    return None if moment is None or row_id is None else (moment, row_id)


def parse_date(
    text: str | None, earliest: date = EARLIEST_DATE, latest: date = LATEST_DATE
) -> date:
    """An ISO date ``YYYY-MM-DD`` between ``earliest`` and ``latest``; ValueError otherwise."""
    match = _DATE.fullmatch(text or "")
    if not match:
        raise ValueError(f"{text!r} is not a date like 2026-03-29")
    day = date(*map(int, match.groups()))  # ValueError for 2026-02-30
    if not earliest <= day <= latest:
        raise ValueError(f"{day} is outside {earliest} to {latest}")
    return day


def parse_week(text: str | None) -> tuple[int, int]:
    """``2026-W03`` as (ISO year, week) within the app's calendar; ValueError otherwise."""
    match = _WEEK.fullmatch(text or "")
    if not match:
        raise ValueError(f"{text!r} is not a week like 2026-W03")
    year, week = int(match[1]), int(match[2])
    if not EARLIEST_DATE.year <= year <= LATEST_DATE.year:
        raise ValueError(f"{text} is outside {EARLIEST_DATE.year} to {LATEST_DATE.year}")
    try:
        date.fromisocalendar(year, week, 1)
    except ValueError:  # week 0, 54, or 53 of a 52-week year
        raise ValueError(f"{text} is not a week: {year} has no week {week}") from None
    return year, week


def check_shiftable(naive: datetime) -> datetime:
    """``naive`` when reading it in any timezone cannot overflow; ValueError otherwise."""
    if not SAFE_EARLIEST <= naive <= SAFE_LATEST:
        raise ValueError(f"{naive.isoformat()} is too far from today")
    return naive


class IdConverter(BaseConverter):
    """URL converter ``<id:name>``: 1 to 2^63-1 in ASCII digits, else no match (a 404)."""

    regex = r"[0-9]{1,19}"
    part_isolating = True

    def to_python(self, value: str) -> int:
        parsed = parse_id(value)
        if parsed is None:
            raise ValidationError()
        return parsed

    def to_url(self, value: object) -> str:
        return str(int(value))  # type: ignore[call-overload]


class InCalendar:
    """WTForms validator: a date field's value lies between 2000 and 2100 (inclusive)."""

    message = f"Choose a date between {EARLIEST_DATE.year} and {LATEST_DATE.year}."

    def __call__(self, form: object, field: Field) -> None:
        if isinstance(field.data, date) and not EARLIEST_DATE <= field.data <= LATEST_DATE:
            raise WTFormsValidationError(self.message)
