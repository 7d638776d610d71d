"""Error pages in the layout, and answers for expired sessions and database faults.

A write the database refused for a passing reason (locked, full, a unique key taken by a
simultaneous request) is rolled back whole and answered 503, 507 or 409, never 500. A
plain form gets its text back in a form that sends it again; under htmx the form is not
swapped, so the text stays where it was, and static/js/app.js says to send it again.
"""

from __future__ import annotations

import re

from flask import Flask, Response, render_template, request, url_for
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from werkzeug.exceptions import HTTPException

from learnapp import database
from learnapp.extensions import db
from learnapp.htmx import is_fragment_request, redirect_for_htmx

ERROR_TITLES = {
    400: "That request could not be understood",
    403: "You may not do that",
    404: "Nothing here",
    405: "That method is not allowed here",
    409: "Someone did the same at the same moment",
    413: "That was too large",
    415: "That is not a form",
    422: "Please check the form",
    429: "Too many requests",
    500: "Something went wrong on our side",
    503: "Busy for a moment",
    507: "Out of storage space",
}

# What the database said, by SQLSTATE (PostgreSQL) or primary result code (SQLite).
BUSY_SQLSTATES = frozenset({"55P03", "40001", "40P01", "53300", "57P03"})  # lock, serialise…
FULL_SQLSTATES = frozenset({"53100"})  # disk_full
UNIQUE_SQLSTATE = "23505"
SQLITE_BUSY, SQLITE_LOCKED, SQLITE_FULL = 5, 6, 13
SQLITE_UNIQUE_CODES = frozenset({1555, 2067})  # SQLITE_CONSTRAINT_PRIMARYKEY, _UNIQUE

# (status, message, headers) for each fault a user can do something about.
FAULT_ANSWERS: dict[str, tuple[int, str, dict[str, str]]] = {
    "busy": (
        503,
        "Many people are writing at once. Please send it again in a moment; "
        "nothing you typed was lost.",
        {"Retry-After": "2"},
    ),
    "full": (
        507,
        "The server has run out of storage space, so nothing was saved. "
        "Nothing you typed was lost: please tell an administrator, then send it again.",
        {},
    ),
    "duplicate": (
        409,
        "Someone saved the same thing at the same moment, so this was not saved. "
        "Nothing you typed was lost: send it again, or reload the page to see theirs.",
        {},
    ),
}
# Form fields never echoed back into a page.
SECRET_FIELD = re.compile(r"password|secret|token|confirm", re.I)
TECHNICAL_FIELDS = frozenset({"idempotency_key", "next"})
CHOICE_VALUE = re.compile(r"^[a-z0-9_.-]{0,20}$")  # "org", "lesson", "2", "y": not text


def render_error(status: int, message: str = "") -> tuple[str, int]:
    """The error page (or, for htmx, a small alert fragment) for ``status``."""
    template = "errors/_alert.html" if is_fragment_request() else "errors/error.html"
    title = ERROR_TITLES.get(status, "Error")
    return render_template(template, status=status, title=title, message=message), status


def database_fault(error: DBAPIError) -> str | None:
    """Which passing refusal the database reported: "busy", "full", "duplicate" or None."""
    sqlstate = getattr(error.orig, "sqlstate", None)
    sqlite_code = getattr(error.orig, "sqlite_errorcode", None)
    primary = sqlite_code & 0xFF if isinstance(sqlite_code, int) else None
    text = str(error.orig).lower()
    if sqlstate in BUSY_SQLSTATES or primary in (SQLITE_BUSY, SQLITE_LOCKED):
        return "busy"
    if "database is locked" in text or "lock timeout" in text or "could not obtain lock" in text:
        return "busy"
    if sqlstate in FULL_SQLSTATES or primary == SQLITE_FULL:
        return "full"
    if sqlstate == UNIQUE_SQLSTATE or sqlite_code in SQLITE_UNIQUE_CODES:
        return "duplicate"
    return None


def _answer_fault(fault: str) -> tuple[str, int, dict[str, str]]:
    """The page for a refused write: the submitted form again, or the alert for htmx."""
    status, message, headers = FAULT_ANSWERS[fault]
    # Rendering reads (the signed-in user); it must not queue for the write lock again.
    database.reads_only()
    if (
        is_fragment_request()
        or request.method != "POST"
        or request.mimetype != "application/x-www-form-urlencoded"
    ):
        body, _ = render_error(status, message)
        return body, status, headers
    fields = [
        (name, value, name not in TECHNICAL_FIELDS and not CHOICE_VALUE.match(value))
        for name, value in request.form.items(multi=True)
        if name != "csrf_token" and not SECRET_FIELD.search(name)
    ]
    body = render_template(
        "errors/unsaved.html",
        status=status,
        title=ERROR_TITLES[status],
        message=message,
        action=request.full_path.rstrip("?"),
        fields=fields,
    )
    return body, status, headers


def init_app(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> tuple[str, int] | HTTPException:
        if error.code is None or error.code < 400:
            return error
        own_message = (
            error.code in (400, 403, 404, 415) and error.description != type(error).description
        )
        return render_error(error.code, error.description if own_message else "")

    @app.errorhandler(CSRFError)
    def _csrf_error(error: CSRFError) -> Response | tuple[str, int]:
        if is_fragment_request() and not current_user.is_authenticated:
            # The session expired while the page sat open: sign in again, as a whole page.
            return redirect_for_htmx(url_for("auth.login"))
        return render_error(
            400,
            "The form had expired or was sent from elsewhere. "
            "Reload the page and try again; your text is still there.",
        )

    @app.errorhandler(OperationalError)
    @app.errorhandler(IntegrityError)
    def _database_error(error: DBAPIError) -> tuple[str, int, dict[str, str]]:
        db.session.rollback()  # the whole write goes: nothing half-saved
        fault = database_fault(error)
        answered = ("duplicate",) if isinstance(error, IntegrityError) else ("busy", "full")
        if fault not in answered:
            raise error
        return _answer_fault(fault)

    @app.errorhandler(500)
    def _server_error(error: Exception) -> tuple[str, int]:
        return render_error(500)
