"""Field helpers every feature's forms share."""

from __future__ import annotations

from typing import Any
from zoneinfo import available_timezones

from wtforms import Field, Form, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from learnapp.markdown import problem_with
from learnapp.validation import PlainText, strip_filter

_TIMEZONES: list[str] | None = None
# The longest Markdown any field accepts: the renderer's time is budgeted at this length.
MAX_MARKDOWN_LENGTH = 20_000


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


def text_field(label: str, max_length: int = MAX_MARKDOWN_LENGTH, **kwargs: Any) -> TextAreaField:
    """A multi-line Markdown field: length-limited, line breaks allowed, no control chars."""
    return TextAreaField(
        label,
        validators=[
            Optional(),
            Length(max=max_length, message=f"Keep it under {max_length:,} characters."),
            PlainText(multiline=True),
            ShowsAsMarkdown(),
        ],
        filters=[strip_filter],
        **kwargs,
    )


class ShowsAsMarkdown:
    """WTForms validator: refuse Markdown that the renderer cannot show (too deeply nested)."""

    def __call__(self, form: Form, field: Field) -> None:
        if isinstance(field.data, str) and not field.errors:
            problem = problem_with(field.data)
            if problem:
                raise ValidationError(problem)


def timezone_choices() -> list[str]:
    """Every IANA timezone name, sorted (computed once)."""
    global _TIMEZONES
    if _TIMEZONES is None:
        _TIMEZONES = sorted(available_timezones())
    return _TIMEZONES
