"""Error pages in the layout, and answers for expired sessions and a locked database."""

from __future__ import annotations

from flask import Flask, Response, render_template, url_for
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from learnapp.extensions import db
from learnapp.htmx import is_fragment_request, redirect_for_htmx

ERROR_TITLES = {
    400: "That request could not be understood",
    403: "You may not do that",
    404: "Nothing here",
    405: "That method is not allowed here",
    413: "That was too large",
    422: "Please check the form",
    429: "Too many requests",
    500: "Something went wrong on our side",
    503: "Busy for a moment",
}


def render_error(status: int, message: str = "") -> tuple[str, int]:
    """The error page (or, for htmx, a small alert fragment) for ``status``."""
    template = "errors/_alert.html" if is_fragment_request() else "errors/error.html"
    title = ERROR_TITLES.get(status, "Error")
    return render_template(template, status=status, title=title, message=message), status


def _is_lock_timeout(error: OperationalError) -> bool:
    text = str(error.orig).lower()
    return "database is locked" in text or "lock timeout" in text or "could not obtain lock" in text


def init_app(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> tuple[str, int] | HTTPException:
        if error.code is None or error.code < 400:
            return error
        own_message = error.code in (400, 403) and error.description != type(error).description
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
    def _database_error(error: OperationalError) -> tuple[str, int]:
        db.session.rollback()
        if not _is_lock_timeout(error):
            raise error
        body, status = render_error(
            503,
            "Many people are writing at once. Please send it again in a moment; "
            "nothing you typed was lost.",
        )
        return body, status, {"Retry-After": "2"}  # type: ignore[return-value]

    @app.errorhandler(500)
    def _server_error(error: Exception) -> tuple[str, int]:
        return render_error(500)
