"""A CSRF token seen before signing in authorises nothing after it: each way of signing in
starts the session with a new token."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest

from learnapp.auth.invitations import invite
from tests.conftest import PASSWORD, Client

NEW_PASSWORD = "a brand new passphrase"


def by_logging_in(client: Client, make_user: Any) -> Any:
    user = make_user("Ada")
    return client.post("/login", {"email": user.email, "password": PASSWORD})


def by_registering(client: Client, make_user: Any) -> Any:
    form = {"display_name": "Ada", "email": "ada@example.com", "password": NEW_PASSWORD}
    return client.post("/register", {**form, "team": "0"})


def by_accepting_an_invitation(client: Client, make_user: Any) -> Any:
    _, link = invite("guest@example.org", make_user("Root", admin=True))
    form = {"display_name": "Guest", "password": NEW_PASSWORD, "team": "0"}
    return client.post(urlsplit(link).path, form)


@pytest.mark.parametrize(
    "sign_in", [by_logging_in, by_registering, by_accepting_an_invitation], ids=lambda f: f.__name__
)
def test_a_csrf_token_from_before_signing_in_is_refused_after_it(app, make_user, sign_in):
    client = Client(app.test_client())
    before = client.csrf_token()  # from the login page, as anyone who saw it could have it
    assert sign_in(client, make_user).status_code == 303
    assert client.get("/settings").status_code == 200, "signed in"

    refused = client.post("/logout", {"csrf_token": before})

    assert refused.status_code == 400 and "The form had expired" in refused.text
    assert client.get("/settings").status_code == 200, "still signed in"
    assert client.post("/logout").status_code == 303, "with a token of the signed-in session"
