"""The digest in the browser and unsubscribing without signing in (RFC 8058)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from learnapp.digest.weeks import IsoWeek
from learnapp.extensions import db
from learnapp.models import utcnow
from learnapp.tokens import unsubscribe_token


def test_the_preview_of_a_week_links_the_weeks_before_and_after(client, people, make_entry):
    make_entry(people["author"], title="Flaky deploy", created_at=datetime(2026, 3, 4, tzinfo=UTC))
    client.login_as(people["teammate"])

    page = client.get("/digest/2026-W10")

    assert page.status_code == 200
    assert "Week 10, 2-8 March 2026" in page.text and "Flaky deploy" in page.text
    assert 'href="/digest/2026-W09" rel="prev"' in page.text
    assert 'href="/digest/2026-W11" rel="next"' in page.text


def test_this_weeks_preview_has_no_link_to_a_week_not_begun(client, people):
    client.login_as(people["teammate"])
    this_week = IsoWeek.containing(utcnow(), ZoneInfo("UTC"))  # ORG_TIMEZONE's default

    page = client.get("/digest")

    assert page.status_code == 200
    assert this_week.label in page.text and "so far" in page.text
    assert f'href="/digest/{this_week.shifted(-1)}" rel="prev"' in page.text
    assert 'rel="next"' not in page.text


def test_a_reader_who_sees_nothing_is_told_no_email_goes_out(client, people):
    client.login_as(people["other_team"])
    page = client.get("/digest/2026-W10")
    assert "no email goes out" in page.text


@pytest.mark.parametrize("week", ["2027-W53", "2026-W54", "2026-10", "latest"])
def test_an_impossible_week_is_not_found(client, people, week):
    client.login_as(people["teammate"])
    assert client.get(f"/digest/{week}").status_code == 404


def test_the_preview_needs_a_login(client):
    response = client.get("/digest/2026-W10")
    assert response.status_code == 303 and "/login" in response.headers["Location"]


def test_unsubscribe_link_opens_a_confirm_page_and_changes_nothing(client, people):
    teammate = people["teammate"]
    page = client.get(f"/unsubscribe/{unsubscribe_token(teammate)}")

    assert page.status_code == 200
    assert "Stop the weekly digest?" in page.text and teammate.email in page.text
    db.session.refresh(teammate)
    assert teammate.digest_opt_in is True


def test_the_confirm_button_unsubscribes_without_a_login(client, people):
    teammate = people["teammate"]
    response = client.post(
        f"/unsubscribe/{unsubscribe_token(teammate)}",
        data={"List-Unsubscribe": "One-Click"},
        csrf=False,
    )
    assert response.status_code == 200 and "You are unsubscribed" in response.text
    db.session.refresh(teammate)
    assert teammate.digest_opt_in is False


@pytest.mark.parametrize(
    "content_type", ["application/x-www-form-urlencoded", "multipart/form-data; boundary=x"]
)
def test_a_one_click_post_as_mail_providers_send_it_unsubscribes(client, people, content_type):
    teammate = people["teammate"]
    body = (
        "List-Unsubscribe=One-Click"
        if content_type.startswith("application")
        else "--x\r\nContent-Disposition: form-data; name=List-Unsubscribe\r\n\r\n"
        "One-Click\r\n--x--\r\n"
    )
    response = client.post_raw(f"/unsubscribe/{unsubscribe_token(teammate)}", body, content_type)

    assert response.status_code == 200
    db.session.refresh(teammate)
    assert teammate.digest_opt_in is False
    assert people["author"].digest_opt_in is True


@pytest.mark.parametrize(
    "tamper",
    [
        lambda token: token[:-2] + ("AA" if not token.endswith("AA") else "BB"),
        lambda token: "eyJ1IjozfQ" + token[token.index(".") :],  # another user id, same signature
        lambda token: "not-a-token",
    ],
)
@pytest.mark.parametrize("method", ["get", "post"])
def test_a_tampered_or_invalid_token_unsubscribes_no_one(client, people, tamper, method):
    token = tamper(unsubscribe_token(people["teammate"]))
    url = f"/unsubscribe/{token}"
    response = client.get(url) if method == "get" else client.post(url, csrf=False)

    assert response.status_code == 404
    assert "does not work" in response.text
    db.session.expire_all()
    assert all(p.digest_opt_in for p in people.values())


def test_an_unsubscribe_token_for_one_purpose_is_no_reset_token(client, people):
    token = unsubscribe_token(people["teammate"])
    assert client.get(f"/password/reset/{token}").status_code == 404
