"""Template filters for dates in the reader's timezone and durations."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Flask
from flask_login import current_user

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


def init_app(app: Flask) -> None:
    app.add_template_filter(localtime, "localtime")
    app.add_template_filter(format_duration, "duration")
