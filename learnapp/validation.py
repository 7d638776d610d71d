"""Input rules shared by every form: no control characters, no undecodable bytes."""

from __future__ import annotations

import re
import unicodedata
from typing import Any
from urllib.parse import unquote_to_bytes

from flask import Flask, abort, request
from wtforms import Field, Form
from wtforms.validators import ValidationError

# U+FFFD is what invalid UTF-8 in a request body decodes to; refusing it refuses bad bytes.
_REPLACEMENT = "\ufffd"
_DURATION = re.compile(r"^\s*(?:(\d+)\s*d)?\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*m(?:in)?)?\s*$", re.I)
MAX_MINUTES_LOST = 60 * 24 * 365


def bad_character(text: str, multiline: bool) -> str | None:
    """Describe the first character that no field accepts, or None when all are fine."""
    for char in text:
        if char == _REPLACEMENT:
            return "text that is not valid UTF-8"
        if char == "\t" or (multiline and char in "\r\n"):
            continue
        if char in "\r\n\u2028\u2029":
            return "a line break"
        category = unicodedata.category(char)
        if category in {"Cc", "Cs", "Co"} or (category == "Cn" and ord(char) > 0xFFFF):
            return f"a control character (U+{ord(char):04X})"
    return None


class PlainText:
    """WTForms validator: refuse control characters (and line breaks unless ``multiline``)."""

    def __init__(self, multiline: bool = False) -> None:
        self.multiline = multiline

    def __call__(self, form: Form, field: Field) -> None:
        if isinstance(field.data, str):
            problem = bad_character(field.data, self.multiline)
            if problem:
                raise ValidationError(f"This field contains {problem}; please remove it.")


def parse_duration(text: str) -> int | None:
    """Minutes in "90", "90m", "3h", "1h 30m" or "2d"; None when empty; ValueError if unclear."""
    text = (text or "").strip()
    if not text:
        return None
    if text.isascii() and text.isdigit():  # "²".isdigit() is true too
        minutes = int(text)
    else:
        match = _DURATION.match(text)
        if not match or not any(match.groups()):
            raise ValueError(text)
        days, hours, mins = (int(g) if g else 0 for g in match.groups())
        minutes = days * 24 * 60 + hours * 60 + mins
    if minutes > MAX_MINUTES_LOST:
        raise ValueError(text)
    return minutes


def format_duration(minutes: int | None) -> str:
    """'1h 30m' for 90; '' for None."""
    if minutes is None:
        return ""
    hours, mins = divmod(minutes, 60)
    parts = [f"{hours}h" if hours else "", f"{mins}m" if mins else ""]
    return " ".join(p for p in parts if p) or "0m"


def strip_filter(value: Any) -> Any:
    """WTForms filter: trim surrounding whitespace of text input."""
    return value.strip() if isinstance(value, str) else value


def _is_utf8(encoded: bytes) -> bool:
    """Whether every name and value of a urlencoded string decodes as UTF-8."""
    try:
        for pair in encoded.split(b"&"):
            for part in pair.split(b"=", 1):
                unquote_to_bytes(part.replace(b"+", b" ")).decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})


def init_app(app: Flask) -> None:
    @app.before_request
    def _refuse_bodies_that_are_no_form() -> None:
        # Flask-WTF reads a JSON body as form data, and a JSON array or string then raises
        # inside the form (a 500). Every change here is a form post: say so instead.
        has_body = request.mimetype or request.content_length
        if request.method == "POST" and request.mimetype not in FORM_TYPES and has_body:
            abort(415, "Send this as a web form (application/x-www-form-urlencoded).")

    @app.before_request
    def _refuse_invalid_utf8() -> None:
        # Werkzeug keeps undecodable %-escapes as literal text; refuse them instead of
        # storing "%C3(" in someone's lesson.
        if request.query_string and not _is_utf8(request.query_string):
            abort(400, "The address contained text that is not valid UTF-8.")
        if request.mimetype == "application/x-www-form-urlencoded" and not _is_utf8(
            request.get_data(cache=True)
        ):
            abort(400, "The form contained text that is not valid UTF-8.")
