"""Invitations to a team: an admin or the team's lead sends one; accepting it, with a new
account or the invited person's own signed-in one, makes them a member."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from learnapp.auth.models import Invitation
from learnapp.extensions import db
from learnapp.models import Role, User
from tests.digest.test_accounts import NEW_PASSWORD, link_in


@pytest.fixture
def lead(make_user):
    return make_user("Lead", role=Role.LEAD)


def invite(client, lead, teams, email="guest@partner.org", htmx=False):
    client.login_as(lead)
    return client.post(f"/teams/{teams['platform'].id}/invitations", {"email": email}, htmx=htmx)


def test_a_lead_invites_a_newcomer_whose_account_joins_the_team(
    mailbox, client, new_client, lead, teams
):
    assert invite(client, lead, teams).status_code == 303
    (email,) = mailbox.to("guest@partner.org")
    assert "invites you to Platform on learnapp" in email.message["Subject"]
    link = link_in(email, "invitations")
    guest = new_client()
    assert "to the team Platform" in guest.get(link).text
    data = {"display_name": "Guest", "email": "x@y.z", "password": NEW_PASSWORD}
    assert guest.post(link, data).status_code == 303
    user = db.session.scalar(select(User).where(User.email == "guest@partner.org"))
    assert user.team_ids == {teams["platform"].id}


def test_under_htmx_an_invitation_answers_the_members_section(mailbox, client, lead, teams):
    response = invite(client, lead, teams, htmx=True)
    assert response.status_code == 200 and "Invitation sent to guest@partner.org." in response.text
    assert response.text.lstrip().startswith('<section id="members"')


def test_someone_with_an_account_joins_once_signed_in_as_the_invited_email(
    mailbox, client, new_client, lead, make_user, teams
):
    grace = make_user("Grace", team="payments")
    invite(client, lead, teams, email=grace.email)
    link = link_in(mailbox.to(grace.email)[0], "invitations")

    signed_out = new_client().get(link)
    assert signed_out.status_code == 200 and "Log in</a> to accept" in signed_out.text
    stranger = new_client().login_as(make_user("Stranger", team=None))
    assert stranger.post(link).status_code == 403
    browser = new_client().login_as(grace)
    assert "Join Platform" in browser.get(link).text
    response = browser.post(link)
    assert response.status_code == 303
    db.session.refresh(grace)
    assert grace.team_ids == {teams["platform"].id, teams["payments"].id}
    assert browser.post(link).status_code == 404  # once
    assert db.session.scalar(select(Invitation.accepted_at)) is not None


@pytest.mark.parametrize(
    ("who", "message"),
    [("member", "is in Platform already"), ("bad", "does not look like an email")],
)
def test_a_team_invitation_that_makes_no_sense_is_refused_with_the_form_again(
    mailbox, client, lead, make_user, teams, who, message
):
    email = make_user("Member").email if who == "member" else "not-an-email"
    response = invite(client, lead, teams, email=email)
    assert response.status_code == 422 and message in response.text
    assert mailbox.received == [] and db.session.scalar(select(Invitation.id)) is None


def test_an_admin_invites_to_any_team_from_the_admin_page(mailbox, client, make_user, teams):
    client.login_as(make_user("Root", team=None, admin=True))
    page = client.get("/admin/invitations").text
    assert '<select id="team"' in page
    data = {"email": "guest@partner.org", "team": str(teams["payments"].id)}
    assert client.post("/admin/invitations", data).status_code == 303
    assert db.session.scalar(select(Invitation.team_id)) == teams["payments"].id


def test_a_lead_cannot_invite_to_another_team(mailbox, client, make_user, teams):
    client.login_as(make_user("OtherLead", team="payments", role=Role.LEAD))
    response = client.post(f"/teams/{teams['platform'].id}/invitations", {"email": "a@b.org"})
    assert response.status_code == 403 and mailbox.received == []


def test_accepting_an_invitation_refuses_a_name_someone_active_has(
    mailbox, client, new_client, lead, teams
):
    invite(client, lead, teams)
    link = link_in(mailbox.to("guest@partner.org")[0], "invitations")
    data = {"display_name": " LEAD ", "email": "x@y.z", "password": NEW_PASSWORD}
    response = new_client().post(link, data)
    assert response.status_code == 422 and "Someone else is already called that" in response.text
    assert 'value="LEAD"' in response.text
    assert db.session.scalar(select(User).where(User.email == "guest@partner.org")) is None
