"""Per-account limits that never lock the owner out: after wrong passwords the owner signs in
with an emailed one-time link, and reset emails are bounded without stopping a reset. Mail
goes to a real SMTP server (aiosmtpd) and links are read back from it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from itsdangerous import TimestampSigner

from learnapp.extensions import db
from learnapp.security import check_password
from tests.conftest import PASSWORD, Client, make_app
from tests.digest.conftest import BASE_URL
from tests.digest.test_accounts import NEW_PASSWORD, ask_for_reset, link_in

WRONG = "not the password at all"


@pytest.fixture
def limited(database_url: str, smtp_server, people) -> Iterator[Flask]:
    """An app with sign-in limits on (one wrong password pauses an account), mailing to
    the loopback server."""
    made = make_app(
        database_url,
        RATELIMIT_ENABLED=True,
        LOGIN_RATE_LIMIT_PER_ACCOUNT="1 per 15 minutes",
        MAIL_HOST="127.0.0.1",
        MAIL_PORT=smtp_server[1],
        MAIL_BASE_URL=BASE_URL,
        MAIL_TIMEOUT_SECONDS=5,
    )
    yield made
    with made.app_context():
        db.engine.dispose()


@pytest.fixture
def browser(limited: Flask) -> Any:
    return lambda: Client(limited.test_client())


def sign_in(client: Client, email: str, password: str, address: str = "192.0.2.1") -> Any:
    """POST the sign-in form, and close the response as a WSGI server does once it is sent
    (a sign-in link is emailed then)."""
    response = client.post(
        "/login", {"email": email, "password": password}, environ_base={"REMOTE_ADDR": address}
    )
    response.close()
    return response


def signed_in(client: Client) -> bool:
    return client.get("/settings").status_code == 200


def test_the_owner_signs_in_with_an_emailed_link_while_an_attacker_keeps_failing(
    browser, mailbox, people
):
    owner = people["teammate"]
    elsewhere = browser()
    assert sign_in(elsewhere, owner.email, PASSWORD).status_code == 303  # another device
    attacker = browser()
    for number in range(5):
        sign_in(attacker, owner.email, f"{WRONG} {number}", address=f"203.0.113.{number}")
    assert mailbox.received == [], "wrong passwords email nobody"

    me = browser()
    paused = sign_in(me, owner.email, PASSWORD)
    assert paused.status_code == 200 and not signed_in(me)
    (email,) = mailbox.to(owner.email)
    assert email.message["Subject"] == "Your learnapp sign-in link"
    url = link_in(email, "login/link")
    assert me.get(url).status_code == 200, "opening the link uses nothing up"
    assert me.post(url).headers["Location"] == "/"

    assert signed_in(me)
    assert signed_in(elsewhere), "the link ends no other session"
    sign_in(attacker, owner.email, WRONG, address="203.0.113.9")
    assert not signed_in(attacker)


def test_a_signin_link_works_once(browser, mailbox, people):
    sign_in(browser(), people["teammate"].email, WRONG)
    sign_in(browser(), people["teammate"].email, PASSWORD)
    url = link_in(mailbox.received[0], "login/link")
    assert browser().post(url).status_code == 303

    again = browser()
    refused = again.post(url)

    assert refused.status_code == 404 and "does not work" in refused.text
    assert not signed_in(again)


@pytest.mark.parametrize("spoil", ["expire", "tamper", "change the password"])
def test_a_spoiled_signin_link_does_not_work(browser, mailbox, people, monkeypatch, spoil):
    owner = people["teammate"]
    if spoil == "expire":
        old = int(time.time()) - 15 * 60 - 5
        monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: old)
    sign_in(browser(), owner.email, WRONG)
    sign_in(browser(), owner.email, PASSWORD)
    monkeypatch.undo()
    url = link_in(mailbox.received[0], "login/link")
    if spoil == "tamper":
        url = url[:-2] + ("AA" if not url.endswith("AA") else "BB")
    if spoil == "change the password":
        ask_for_reset(browser(), owner.email)
        browser().post(link_in(mailbox.received[1], "password/reset"), {"password": NEW_PASSWORD})

    client = browser()
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    assert not signed_in(client)


def test_only_the_right_password_of_an_active_account_emails_a_link(browser, mailbox, people):
    people["other_team"].is_active_account = False
    db.session.commit()
    for email in (people["teammate"].email, "nobody@example.com", people["other_team"].email):
        sign_in(browser(), email, WRONG)  # pauses the email
        sign_in(browser(), email, WRONG)
    sign_in(browser(), "nobody@example.com", PASSWORD)
    sign_in(browser(), people["other_team"].email, PASSWORD)
    assert mailbox.received == []


def test_signin_links_to_one_account_are_bounded(browser, mailbox, people):
    email = people["teammate"].email
    sign_in(browser(), email, WRONG)
    for _ in range(5):
        assert sign_in(browser(), email, PASSWORD).status_code == 200
    assert len(mailbox.to(email)) == 3
    # The links sent keep working: the owner is never without one.
    assert browser().post(link_in(mailbox.received[-1], "login/link")).status_code == 303


def test_reset_emails_to_one_account_are_bounded_and_the_last_link_keeps_working(
    limited, browser, mailbox, people
):
    owner = people["teammate"]
    limited.config["PASSWORD_RESET_EMAILS_PER_ACCOUNT"] = "2 per hour"
    answers = [ask_for_reset(browser(), f" {owner.email.upper()}").status_code for _ in range(4)]
    assert answers == [200, 200, 200, 200], "never refused: the page reads the same"
    assert len(mailbox.to(owner.email)) == 2
    ask_for_reset(browser(), people["lead"].email)
    assert len(mailbox.to(people["lead"].email)) == 1, "each account has its own budget"

    # The owner, after an attacker used the budget up: the link in the mailbox works.
    last_link = link_in(mailbox.to(owner.email)[-1], "password/reset")
    reset = browser().post(last_link, {"password": NEW_PASSWORD})
    assert reset.status_code == 303
    db.session.refresh(owner)
    assert check_password(owner, NEW_PASSWORD)
