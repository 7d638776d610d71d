"""Password reset and admin invitations: emailed links that are signed, expire, work once."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from itsdangerous import TimestampSigner
from sqlalchemy import select

from learnapp.auth.models import Invitation
from learnapp.extensions import db
from learnapp.models import User, utcnow
from learnapp.security import check_password
from tests.conftest import PASSWORD, Client, make_app
from tests.digest.conftest import BASE_URL

NEW_PASSWORD = "a brand new passphrase"


def link_in(received, path: str) -> str:
    """The site-relative path of the ``path`` link in an email (checked in both parts)."""
    text = received.message.get_body(("plain",)).get_content()
    html = received.message.get_body(("html",)).get_content()
    (url,) = set(re.findall(rf"{re.escape(BASE_URL)}(/{path}/[\w.-]+)", text))
    assert f'href="{BASE_URL}{url}"' in html
    return url


def ask_for_reset(client, email: str):
    """Ask for a reset link, and close the response as a WSGI server does after sending it
    (the email goes out then, so answering takes as long with or without an account)."""
    response = client.post("/password/forgot", data={"email": email})
    response.close()
    return response


def test_asking_for_a_reset_answers_alike_whether_or_not_the_email_has_an_account(
    mailbox, new_client, people
):
    known = ask_for_reset(new_client(), people["teammate"].email)
    unknown = ask_for_reset(new_client(), "nobody@example.com")

    assert known.status_code == unknown.status_code == 200

    def main(response, email):
        return re.search(r"<main.*</main>", response.text, re.S)[0].replace(email, "X")

    assert main(known, people["teammate"].email) == main(unknown, "nobody@example.com")
    assert [r.recipients for r in mailbox.received] == [[people["teammate"].email]]


def test_a_reset_link_sets_a_new_password_and_ends_every_session(
    mailbox, client, new_client, people
):
    teammate = people["teammate"]
    signed_in = new_client().login_as(teammate)
    ask_for_reset(client, teammate.email)
    (email,) = mailbox.received
    assert email.message["Subject"] == "Reset your learnapp password"
    url = link_in(email, "password/reset")

    assert client.get(url).status_code == 200
    response = client.post(url, data={"password": NEW_PASSWORD})

    assert response.status_code == 303 and response.headers["Location"] == "/login"
    db.session.refresh(teammate)
    assert check_password(teammate, NEW_PASSWORD)
    assert signed_in.get("/settings").status_code == 303  # the old session is over


def test_a_reset_link_works_once(mailbox, client, people):
    ask_for_reset(client, people["teammate"].email)
    url = link_in(mailbox.received[0], "password/reset")
    client.post(url, data={"password": NEW_PASSWORD})

    again = client.post(url, data={"password": "yet another passphrase"})

    assert again.status_code == 404 and "does not work" in again.text
    db.session.refresh(people["teammate"])
    assert check_password(people["teammate"], NEW_PASSWORD)


def test_an_expired_reset_link_does_not_work(mail_app, mailbox, client, people, monkeypatch):
    minutes = mail_app.config["PASSWORD_RESET_MINUTES"]
    old = int(time.time()) - minutes * 60 - 5
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: old)
    ask_for_reset(client, people["teammate"].email)
    monkeypatch.undo()
    url = link_in(mailbox.received[0], "password/reset")

    assert client.get(url).status_code == 404
    assert client.post(url, data={"password": NEW_PASSWORD}).status_code == 404


def test_a_weak_new_password_is_refused_with_the_form_again(mailbox, client, people):
    ask_for_reset(client, people["teammate"].email)
    url = link_in(mailbox.received[0], "password/reset")

    response = client.post(url, data={"password": "short"})

    assert response.status_code == 422 and "Use between 10 and 256 characters" in response.text
    db.session.refresh(people["teammate"])
    assert check_password(people["teammate"], PASSWORD)


def test_a_deactivated_account_gets_no_reset_email(mailbox, client, people):
    people["teammate"].is_active_account = False
    db.session.commit()
    assert ask_for_reset(client, people["teammate"].email).status_code == 200
    assert mailbox.received == []


def test_asking_for_resets_is_rate_limited_per_client_address(database_url, people):
    # Per account, reset emails are bounded without refusing: tests/digest/test_signin_limits.py
    limited = make_app(
        database_url, RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT_PER_ADDRESS="2 per minute"
    )
    with limited.app_context():
        client = Client(limited.test_client())
        answers = [ask_for_reset(client, "Nobody@example.com ").status_code for _ in range(3)]
        elsewhere = client.post(
            "/password/forgot",
            data={"email": "somebody@example.com"},
            environ_base={"REMOTE_ADDR": "192.0.2.200"},
        ).status_code
        db.engine.dispose()
    assert answers == [200, 200, 429]
    assert elsewhere == 200


# --- Invitations -----------------------------------------------------------------------------


@pytest.fixture
def invited(mail_app, mailbox, client, people):
    """An admin invites someone from a domain sign-up refuses; returns the link's path."""
    mail_app.config["SIGNUP_DOMAINS"] = "example.com"
    client.login_as(people["admin"])
    response = client.post("/admin/invitations", data={"email": "Guest@Partner.org"})
    assert response.status_code == 303
    (email,) = mailbox.to("guest@partner.org")
    assert "invites you to learnapp" in email.message["Subject"]
    return link_in(email, "invitations")


def register(client, url: str, email: str = "ignored@elsewhere.net"):
    data = {"display_name": "Guest", "email": email, "password": NEW_PASSWORD, "team": "0"}
    return client.post(url, data=data)


def test_an_invitation_lets_someone_register_past_the_signup_domains(invited, new_client):
    guest = new_client()
    assert register(guest, "/register", "guest@partner.org").status_code == 422

    page = guest.get(invited)
    response = register(guest, invited)

    assert page.status_code == 200 and "guest@partner.org" in page.text
    assert response.status_code == 303
    user = db.session.scalar(select(User).where(User.email == "guest@partner.org"))
    assert user is not None and not user.is_admin  # the invited address, whatever was sent
    invitation = db.session.scalar(select(Invitation))
    assert invitation.accepted_at is not None and invitation.user_id == user.id


def test_an_invitation_works_once(invited, new_client):
    assert register(new_client(), invited).status_code == 303
    again = new_client()
    assert again.get(invited).status_code == 404
    assert register(again, invited).status_code == 404
    assert db.session.scalar(select(User).where(User.display_name == "Guest")) is not None


def test_an_expired_invitation_does_not_work(invited, new_client):
    invitation = db.session.scalar(select(Invitation))
    invitation.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    assert new_client().get(invited).status_code == 404


def test_a_tampered_invitation_does_not_work(invited, new_client):
    assert new_client().get(invited[:-3] + "xyz").status_code == 404


def test_only_admins_invite(mailbox, client, people):
    client.login_as(people["teammate"])
    assert client.post("/admin/invitations", data={"email": "x@example.com"}).status_code == 403
    assert mailbox.received == []


def test_inviting_someone_with_an_account_is_refused_with_the_form_again(mailbox, client, people):
    client.login_as(people["admin"])
    response = client.post("/admin/invitations", data={"email": people["teammate"].email})
    assert response.status_code == 422 and "has an account already" in response.text
    assert mailbox.received == []


def test_when_the_invitation_email_fails_the_admin_gets_the_link(mail_app, client, people):
    from tests.digest.conftest import closed_port

    mail_app.config["MAIL_PORT"] = closed_port()
    client.login_as(people["admin"])
    response = client.post("/admin/invitations", data={"email": "guest@partner.org"})
    page = client.get(response.headers["Location"])
    assert "could not be sent" in page.text
    assert f"{BASE_URL}/invitations/" in page.text
    assert "guest@partner.org" in page.text  # listed as waiting
