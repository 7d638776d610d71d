"""Times entered in the reader's timezone (``datetime-local`` inputs), stored in UTC.

Two local times need a decision around daylight-saving changes:

- A time in the spring-forward gap (e.g. 01:30 on the last Sunday of March in London)
  never happened there: the field says so and asks for another time.
- A time in the fall-back overlap (e.g. 01:30 on the last Sunday of October in London)
  happened twice. We take the **first** occurrence (``fold=0``, still on summer time), the
  reading Python's zoneinfo gives by default, and the form's hint says which one was kept.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from wtforms import Field, StringField
from wtforms.validators import DataRequired, Optional, StopValidation, ValidationError

from learnapp.formatting import viewer_zone
from learnapp.models import utcnow
from learnapp.parsing import check_shiftable

INPUT_FORMAT = "%Y-%m-%dT%H:%M"
ACCEPTED_FORMATS = ("%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M")
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
RANGE_MESSAGE = "Choose a time between 2000 and now."
# A few minutes' grace for clocks that run slightly ahead of the server's.
FUTURE_GRACE = timedelta(minutes=10)


class NonexistentTime(ValueError):
    """The local time falls in a daylight-saving gap."""


def is_ambiguous(naive: datetime, zone: ZoneInfo) -> bool:
    """Whether ``naive`` happened twice in ``zone`` (clocks went back)."""
    first = naive.replace(tzinfo=zone, fold=0).utcoffset()
    second = naive.replace(tzinfo=zone, fold=1).utcoffset()
    return first != second and not is_nonexistent(naive, zone)


def is_nonexistent(naive: datetime, zone: ZoneInfo) -> bool:
    """Whether ``naive`` never happened in ``zone`` (clocks went forward over it)."""
    local = naive.replace(tzinfo=zone)
    return local.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != naive


def to_utc(naive: datetime, zone: ZoneInfo) -> datetime:
    """``naive`` read in ``zone`` as UTC; the first occurrence when ambiguous.

    Raises NonexistentTime for a time in a daylight-saving gap.
    """
    if is_nonexistent(naive, zone):
        raise NonexistentTime(naive.isoformat())
    return naive.replace(tzinfo=zone, fold=0).astimezone(UTC)


def to_local_input(value: datetime | None, zone: ZoneInfo) -> str:
    """``value`` as a ``datetime-local`` input value in ``zone``."""
    return "" if value is None else value.astimezone(zone).strftime(INPUT_FORMAT)


def parse_local(text: str) -> datetime:
    """The naive local time in an input's text; ValueError when it is not one."""
    for pattern in ACCEPTED_FORMATS:
        try:
            return datetime.strptime(text, pattern)
        except ValueError:
            continue
    raise ValueError(text)


class LocalDateTimeField(StringField):
    """A ``datetime-local`` input read in the viewer's timezone; ``data`` is aware UTC.

    ``notes`` holds a line for the form when the time was ambiguous (which one was kept).
    A field left out of the form keeps its default (e.g. now); one sent blank is empty.
    """

    def __init__(self, label: str, required: bool = False, **kwargs: Any) -> None:
        first = DataRequired(message="Please give a date and time.") if required else Optional()
        super().__init__(label, validators=[first], **kwargs)
        self.notes: list[str] = []

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return to_local_input(self.data, viewer_zone()) if isinstance(self.data, datetime) else ""

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist:
            return  # not in the form at all (a one-line quick entry): keep the default
        text = valuelist[0].strip() if isinstance(valuelist[0], str) else ""
        self.data = None
        if not text:
            return
        zone = viewer_zone()
        try:
            naive = parse_local(text)
        except ValueError:
            raise ValueError("Write it as a date and time, e.g. 2026-03-29T14:05.") from None
        try:
            check_shiftable(naive)
        except ValueError:
            raise ValueError(RANGE_MESSAGE) from None
        try:
            self.data = to_utc(naive, zone)
        except NonexistentTime:
            raise ValueError(
                f"{naive:%H:%M} on {naive:%-d %b %Y} did not exist in {zone.key}: the clocks "
                "went forward. Choose a time before or after the change."
            ) from None
        if is_ambiguous(naive, zone):
            offset = self.data.astimezone(zone).strftime("%z")
            self.notes.append(
                f"{naive:%H:%M} happened twice in {zone.key} that day; taken as the first "
                f"one (UTC{offset[:3]}:{offset[3:]}, before the clocks went back)."
            )

    def pre_validate(self, form: Any) -> None:
        if self.process_errors:
            # Stop here: DataRequired would replace "did not exist" with "please give one".
            raise StopValidation()
        if self.data is not None and not EARLIEST <= self.data <= utcnow() + FUTURE_GRACE:
            raise ValidationError(RANGE_MESSAGE)


def viewer_zone_name() -> str:
    """The reader's timezone name, e.g. "Europe/London" (shown beside time inputs)."""
    return viewer_zone().key


def field_value(field: Field) -> datetime | None:
    """The aware UTC datetime of a LocalDateTimeField (typed for callers)."""
    return field.data if isinstance(field.data, datetime) else None
