"""Error pages in the layout, the health check, security headers, lock timeouts."""

from __future__ import annotations

import pytest

from tests.conftest import recorded_sql


def test_404_page_is_in_the_layout(client, author):
    response = client.login_as(author).get("/no/such/page")
    assert response.status_code == 404
    assert "Nothing here" in response.text and "<nav" in response.text


def test_405_page(client):
    response = client.get("/entries/1/delete")
    assert response.status_code == 405
    assert "That method is not allowed here" in response.text


def test_500_page_hides_the_error(app, client, author):
    @app.get("/boom")
    def boom():
        raise RuntimeError("secret detail")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = client.login_as(author).get("/boom")
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.text
    assert "secret detail" not in response.text


def test_healthz_needs_no_database_and_sets_no_cookie(app, client):
    with recorded_sql() as statements:
        response = client.get("/healthz")
    assert response.status_code == 200 and response.text == "ok\n"
    assert "Set-Cookie" not in response.headers
    assert statements == []


def test_security_headers_on_pages(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    for part in (
        "default-src 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "form-action 'self'",
    ):
        assert part in csp
    assert "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cache-Control"] == "private, no-store"


def test_templates_have_no_inline_script_or_style():
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "templates"
    for template in root.rglob("*"):
        if template.is_file():
            assert template.suffix == ".html", f"{template} would not be autoescaped"
            text = template.read_text()
            assert " style=" not in text, template
            assert "<script>" not in text and "<script " not in text.replace("<script src=", ""), (
                template
            )


@pytest.mark.parametrize("htmx", [False, True])
def test_lock_timeout_answers_503_with_retry_after(app, client, author, htmx):
    from sqlalchemy.exc import OperationalError

    @app.post("/locked")
    def locked():
        raise OperationalError("INSERT", {}, Exception("database is locked"))

    token = client.login_as(author).csrf_token()
    response = client.post("/locked", {"csrf_token": token}, htmx=htmx, csrf=False)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "2"
    assert "nothing you typed was lost" in response.text
