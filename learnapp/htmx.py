"""htmx helpers: tell a fragment request from a page request, and answer each rightly."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, make_response, render_template, request


def is_fragment_request() -> bool:
    """True when htmx asked for a fragment: not a boosted navigation nor a history restore."""
    headers = request.headers
    return (
        headers.get("HX-Request") == "true"
        and headers.get("HX-Boosted") != "true"
        and headers.get("HX-History-Restore-Request") != "true"
    )


def page_or_fragment(
    page_template: str, fragment_template: str, /, status: int = 200, **context: Any
) -> tuple[str, int]:
    """Render the fragment for an htmx request and the full page otherwise."""
    template = fragment_template if is_fragment_request() else page_template
    return render_template(template, **context), status


def current_page_path() -> str:
    """The path and query of the page the reader is on (for a form's "next" field).

    Under htmx the request is for a fragment, so the page is the one htmx reports.
    """
    if is_fragment_request():
        current = urlsplit(request.headers.get("HX-Current-URL", ""))
        return current.path + (f"?{current.query}" if current.query else "") or "/"
    return request.full_path.rstrip("?")


def redirect_for_htmx(url: str) -> Response:
    """An empty answer that makes htmx load ``url`` as a whole page."""
    response = make_response("", 200)
    response.headers["HX-Redirect"] = url
    return response


def init_app(app: Flask) -> None:
    app.add_template_global(current_page_path)

    @app.after_request
    def _vary_on_hx_request(response: Response) -> Response:
        # Caches must not hand a fragment to a page request for the same URL, or back.
        if response.mimetype == "text/html":
            response.vary.add("HX-Request")
        return response
