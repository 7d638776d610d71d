"""Template filters for dates in the reader's timezone and durations."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Flask
from flask_login import current_user

from learnapp.models import utcnow
from learnapp.validation import format_duration


def viewer_zone() -> ZoneInfo:
    """The signed-in reader's timezone (UTC when unknown)."""
    name = getattr(current_user, "timezone", None) or "UTC"
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def localtime(value: datetime | None, fmt: str = "%-d %b %Y, %H:%M") -> str:
    """``value`` shown in the reader's timezone."""
    if value is None:
        return ""
    return value.astimezone(viewer_zone()).strftime(fmt)


def viewer_today() -> date:
    """Today's date where the reader is."""
    return datetime.now(viewer_zone()).date()


def timespan(value: timedelta | None) -> str:
    """A lead time or an age in words: "40 min", "5 h", "3.5 days", "12 days"."""
    if value is None:
        return ""
    minutes = value.total_seconds() / 60
    if minutes < 60:
        return f"{max(int(minutes), 0)} min"
    if minutes < 48 * 60:
        return f"{round(minutes / 60)} h"
    days = minutes / (24 * 60)
    return f"{days:.1f} days" if days < 10 else f"{int(days)} days"


def iso_duration(value: timedelta) -> str:
    """``value`` as an ISO 8601 duration, for <time datetime="…">."""
    seconds = int(value.total_seconds())
    days, rest = divmod(seconds, 86_400)
    return f"P{days}DT{rest // 3600}H{rest % 3600 // 60}M{rest % 60}S"


def init_app(app: Flask) -> None:
    app.add_template_filter(localtime, "localtime")
    app.add_template_filter(timespan, "timespan")
    app.add_template_filter(iso_duration, "iso_duration")
    app.add_template_global(viewer_today, "viewer_today")
    app.add_template_global(utcnow, "now")
    app.add_template_filter(format_duration, "duration")
