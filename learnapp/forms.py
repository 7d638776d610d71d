"""Field helpers every feature's forms share."""

from __future__ import annotations

from typing import Any
from zoneinfo import available_timezones

from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from learnapp.validation import PlainText, strip_filter

_TIMEZONES: list[str] | None = None


def line_field(label: str, max_length: int, required: bool = False, **kwargs: Any) -> StringField:
    """A one-line text field: trimmed, length-limited, no control characters."""
    first = DataRequired(message="Please fill this in.") if required else Optional()
    return StringField(
        label,
        validators=[
            first,
            Length(max=max_length, message=f"Keep it under {max_length} characters."),
            PlainText(),
        ],
        filters=[strip_filter],
        **kwargs,
    )


def text_field(label: str, max_length: int = 20_000, **kwargs: Any) -> TextAreaField:
    """A multi-line Markdown field: length-limited, line breaks allowed, no control chars."""
    return TextAreaField(
        label,
        validators=[
            Optional(),
            Length(max=max_length, message=f"Keep it under {max_length:,} characters."),
            PlainText(multiline=True),
        ],
        filters=[strip_filter],
        **kwargs,
    )


def timezone_choices() -> list[str]:
    """Every IANA timezone name, sorted (computed once)."""
    global _TIMEZONES
    if _TIMEZONES is None:
        _TIMEZONES = sorted(available_timezones())
    return _TIMEZONES
