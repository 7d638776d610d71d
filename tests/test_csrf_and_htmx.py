"""CSRF on every POST, htmx's header token, and htmx requests whose session expired."""

from __future__ import annotations

import pytest

MUTATIONS = [
    "/entries",
    "/entries/{id}/edit",
    "/entries/{id}/delete",
    "/entries/{id}/restore",
    "/logout",
    "/settings",
    "/admin/teams",
    "/admin/users/{uid}/active",
    "/admin/users/{uid}/admin",
    "/login",
    "/register",
]


@pytest.mark.parametrize("path", MUTATIONS)
def test_post_without_csrf_token_is_refused(client, make_user, make_entry, path):
    admin = make_user("Root", admin=True)
    entry = make_entry(admin)
    client.login_as(admin)
    url = path.format(id=entry.id, uid=admin.id)
    response = client.post(url, {"title": "x", "name": "x"}, csrf=False)
    assert response.status_code == 400
    assert "The form had expired" in response.text


def test_htmx_header_token_is_accepted(client, author):
    client.login_as(author)
    token = client.csrf_token()
    response = client.post(
        "/entries", {"title": "via header"}, htmx=True, csrf=False, headers={"X-CSRFToken": token}
    )
    assert response.status_code == 200


def test_csrf_token_does_not_expire_within_the_session(app):
    assert app.config["WTF_CSRF_TIME_LIMIT"] is None


def test_expired_session_under_htmx_redirects_the_whole_page(client):
    response = client.get("/entries/new", htmx=True)
    assert response.status_code == 200
    assert response.headers["HX-Redirect"].startswith("/login")
    assert response.text == ""


def test_expired_session_htmx_post_redirects_instead_of_csrf_error(client, author, new_client):
    client.login_as(author)
    token = client.csrf_token()
    client.post("/logout")
    response = client.post(
        "/entries", {"title": "late", "csrf_token": token}, htmx=True, csrf=False
    )
    assert response.headers.get("HX-Redirect", "").startswith("/login")


def test_boosted_and_history_restore_requests_get_whole_pages(client, author):
    client.login_as(author)
    for header in ("HX-Boosted", "HX-History-Restore-Request"):
        response = client.get("/", htmx=True, headers={header: "true"})
        assert "<html" in response.text


def test_htmx_error_statuses_send_a_small_alert(client, author):
    client.login_as(author)
    response = client.get("/entries/12345", htmx=True)
    assert response.status_code == 404
    assert "<html" not in response.text and 'role="alert"' in response.text
