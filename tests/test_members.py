"""Team membership is granted, not taken: who may add, remove and make leads, both faces of
each POST, leaving a team, and a change that counts from the very next request."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from learnapp.auth.models import Invitation
from learnapp.extensions import db
from learnapp.models import Membership, Role, User, Visibility
from tests.digest.conftest import closed_port

REFUSAL = "Only an admin or a lead of Platform can change who is in it."


@pytest.fixture
def people(make_user: Any) -> dict[str, User]:
    """Everyone whose rights differ around the team platform, and the people acted on."""
    return {
        "admin": make_user("Admin", team=None, admin=True),
        "lead": make_user("Lead", role=Role.LEAD),
        "other_lead": make_user("OtherLead", team="payments", role=Role.LEAD),
        "member": make_user("Member"),
        "outsider": make_user("Outsider", team=None),
        "target": make_user("Target"),  # in platform: removed, made lead
        "candidate": make_user("Candidate", team=None),  # added to platform
    }


@pytest.fixture
def platform(teams):
    return teams["platform"]


def role_in(team_id: int, user: User) -> Role | None:
    db.session.commit()
    return db.session.scalar(
        select(Membership.role).where(Membership.team_id == team_id, Membership.user_id == user.id)
    )


def memberships() -> list[tuple[int, int, str]]:
    db.session.commit()
    rows = db.session.execute(select(Membership.user_id, Membership.team_id, Membership.role))
    return sorted((u, t, r.value) for u, t, r in rows)


# --- Who may do what: admin, lead of the team, lead of another team, member, outsider ---------

ACTORS = {"admin": True, "lead": True, "other_lead": False, "member": False, "outsider": False}


def add_candidate(browser, team, people) -> Any:
    return browser.post(f"/teams/{team.id}/members", {"person": str(people["candidate"].id)})


def remove_target(browser, team, people) -> Any:
    return browser.post(f"/teams/{team.id}/members/{people['target'].id}/remove")


def promote_target(browser, team, people) -> Any:
    return browser.post(f"/teams/{team.id}/members/{people['target'].id}/role", {"role": "lead"})


def demote_lead(browser, team, people) -> Any:
    return browser.post(f"/teams/{team.id}/members/{people['lead'].id}/role", {"role": "member"})


def invite_someone(browser, team, people) -> Any:
    return browser.post(f"/teams/{team.id}/invitations", {"email": "new@example.com"})


# (action, its effect when allowed: what the check below must then find)
ACTIONS = {
    "add": (add_candidate, lambda t, p: role_in(t.id, p["candidate"]) is Role.MEMBER),
    "remove": (remove_target, lambda t, p: role_in(t.id, p["target"]) is None),
    "promote": (promote_target, lambda t, p: role_in(t.id, p["target"]) is Role.LEAD),
    "demote": (demote_lead, lambda t, p: role_in(t.id, p["lead"]) is Role.MEMBER),
    "invite": (invite_someone, lambda t, p: db.session.scalar(select(Invitation.team_id)) == t.id),
}


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize(("actor", "allowed"), ACTORS.items())
def test_only_an_admin_or_a_lead_of_the_team_changes_its_members(
    app, client, people, platform, actor, allowed, action
):
    app.config["MAIL_PORT"] = closed_port()  # an invitation stands even when mail fails
    send, took_effect = ACTIONS[action]
    before = memberships()
    response = send(client.login_as(people[actor]), platform, people)
    if allowed:
        assert response.status_code == 303, response.text
        assert took_effect(platform, people)
    else:
        assert response.status_code == 403
        assert REFUSAL in response.text
        assert memberships() == before
        assert db.session.scalar(select(Invitation.id)) is None


@pytest.mark.parametrize(("actor", "allowed"), ACTORS.items())
def test_only_an_admin_or_a_lead_of_the_team_opens_its_members_page(
    client, people, platform, actor, allowed
):
    response = client.login_as(people[actor]).get(f"/teams/{platform.id}/members")
    if allowed:
        assert response.status_code == 200
        assert "Member" in response.text and "Add to Platform" in response.text
    else:
        assert response.status_code == 403 and REFUSAL in response.text


def test_signed_out_visitors_are_sent_to_log_in(client, people, platform):
    assert client.get(f"/teams/{platform.id}/members").headers["Location"].startswith("/login")


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/teams/999/members", 404),
        ("/teams/99999999999999999999/members", 404),
        ("/teams/{team}/members/{outsider}/remove", 404),  # not in the team
        ("/teams/{team}/members/99999999999999999999/role", 404),
    ],
)
def test_unknown_teams_and_people_are_not_found(client, people, platform, path, status):
    url = path.format(team=platform.id, outsider=people["outsider"].id)
    browser = client.login_as(people["admin"])
    assert browser.get(f"/teams/{platform.id}/members").status_code == 200  # the page exists
    before = memberships()
    assert browser.post(url, {"role": "lead"}).status_code == status
    assert memberships() == before


@pytest.mark.parametrize(
    ("person", "message"),
    [
        ("member", "is in Platform already"),
        ("9999", "Choose someone from the list"),
        ("deactivated", "Choose someone from the list"),
        ("", "Invalid Choice"),
        ("abc", "Invalid Choice"),
    ],
)
def test_adding_someone_who_cannot_be_added_answers_the_form_again(
    client, people, platform, make_user, person, message
):
    if person == "deactivated":
        person = str(make_user("Gone", team=None, active=False).id)
    elif person == "member":
        person = str(people["member"].id)
    before = memberships()
    response = client.login_as(people["lead"]).post(
        f"/teams/{platform.id}/members", {"person": person}
    )
    assert response.status_code == 422 and message in response.text
    assert memberships() == before


def test_a_role_button_must_say_which_role(client, people, platform):
    response = client.login_as(people["lead"]).post(
        f"/teams/{platform.id}/members/{people['target'].id}/role", {"role": "toggle"}
    )
    assert response.status_code == 400
    assert role_in(platform.id, people["target"]) is Role.MEMBER


def test_adding_twice_keeps_one_membership(client, people, platform):
    browser = client.login_as(people["lead"])
    for _ in range(2):
        db.session.add(Membership(user_id=people["candidate"].id, team_id=platform.id))
        db.session.rollback()  # (the second click's form is built before the first lands)
        add_candidate(browser, platform, people)
    assert [m for m in memberships() if m[0] == people["candidate"].id] == [
        (people["candidate"].id, platform.id, "member")
    ]


# --- Both faces of each POST: plain (303 and a flash) and htmx (the section) -----------------

FACES = [
    ("add", add_candidate, "Candidate is now in Platform."),
    ("remove", remove_target, "Target is no longer in Platform."),
    ("promote", promote_target, "Target is now a lead of Platform."),
]


@pytest.mark.parametrize(("name", "send", "news"), FACES, ids=[f[0] for f in FACES])
def test_without_javascript_a_change_redirects_to_the_page_with_the_news(
    client, people, platform, name, send, news
):
    browser = client.login_as(people["lead"])
    response = send(browser, platform, people)
    assert response.status_code == 303
    assert response.headers["Location"] == f"/teams/{platform.id}/members"
    assert news in browser.get(response.headers["Location"]).text


@pytest.mark.parametrize(("name", "send", "news"), FACES, ids=[f[0] for f in FACES])
def test_under_htmx_a_change_answers_the_members_section(
    client, people, platform, name, send, news
):
    browser = client.login_as(people["lead"])
    headers = {"HX-Request": "true"}
    original = browser.post

    def post(url, data=None, **kwargs):
        return original(url, data, headers=headers, **kwargs)

    browser.post = post
    response = send(browser, platform, people)
    assert response.status_code == 200 and response.headers["HX-Trigger"] == "members-changed"
    assert response.text.lstrip().startswith('<section id="members"')
    assert "<html" not in response.text and news in response.text


def test_under_htmx_a_refused_add_answers_the_section_with_the_error(client, people, platform):
    response = client.login_as(people["lead"]).post(
        f"/teams/{platform.id}/members", {"person": str(people["member"].id)}, htmx=True
    )
    assert response.status_code == 422
    assert response.text.lstrip().startswith('<section id="members"')
    assert "is in Platform already" in response.text


def test_a_lead_who_steps_down_goes_to_settings(client, people, platform):
    browser = client.login_as(people["lead"])
    url = f"/teams/{platform.id}/members/{people['lead'].id}/role"
    response = browser.post(url, {"role": "member"}, htmx=True)
    assert response.headers["HX-Redirect"] == "/settings"
    assert "Lead is now a member, not a lead, of Platform." in browser.get("/settings").text
    assert browser.get(f"/teams/{platform.id}/members").status_code == 403


# --- Leaving, from Settings ------------------------------------------------------------------


def test_settings_list_your_teams_with_a_leave_button(client, people, platform):
    page = client.login_as(people["lead"]).get("/settings").text
    assert "Your teams" in page and "Leave Platform" in page
    assert f'action="/teams/{platform.id}/leave"' in page
    assert f'href="/teams/{platform.id}/members"' in page  # a lead's way to the page


def test_leaving_a_team_without_javascript(client, people, platform):
    browser = client.login_as(people["member"])
    response = browser.post(f"/teams/{platform.id}/leave")
    assert response.status_code == 303 and response.headers["Location"] == "/settings"
    assert role_in(platform.id, people["member"]) is None
    assert "You left Platform." in browser.get("/settings").text


def test_leaving_a_team_under_htmx(client, people, platform):
    response = client.login_as(people["member"]).post(f"/teams/{platform.id}/leave", htmx=True)
    assert response.status_code == 200 and response.headers["HX-Trigger"] == "teams-changed"
    assert response.text.lstrip().startswith('<section id="my-teams"')
    assert "You left Platform." in response.text and "Leave Platform" not in response.text
    assert role_in(platform.id, people["member"]) is None


def test_leaving_twice_is_harmless(client, people, platform):
    browser = client.login_as(people["member"])
    browser.post(f"/teams/{platform.id}/leave")
    response = browser.post(f"/teams/{platform.id}/leave", htmx=True)
    assert response.status_code == 200 and "You are not in Platform." in response.text


# --- A change counts from the next request ---------------------------------------------------


def test_a_removed_member_loses_team_only_entries_on_the_next_request(
    client, new_client, people, platform, make_entry
):
    entry = make_entry(people["lead"], title="TEAMONLY-r4z", visibility=Visibility.TEAM)
    reader = client.login_as(people["member"])
    assert "TEAMONLY-r4z" in reader.get(f"/entries/{entry.id}").text
    assert "TEAMONLY-r4z" in reader.get("/").text

    lead = new_client().login_as(people["lead"])
    assert (
        lead.post(f"/teams/{platform.id}/members/{people['member'].id}/remove").status_code == 303
    )

    assert reader.get(f"/entries/{entry.id}").status_code == 404
    assert "TEAMONLY-r4z" not in reader.get("/").text
    assert "TEAMONLY-r4z" not in reader.get("/search?q=TEAMONLY").text


def test_an_added_person_reads_team_only_entries_on_the_next_request(
    client, new_client, people, platform, make_entry
):
    entry = make_entry(people["lead"], title="TEAMONLY-a8k", visibility=Visibility.TEAM)
    reader = client.login_as(people["candidate"])
    assert reader.get(f"/entries/{entry.id}").status_code == 404
    new_client().login_as(people["lead"]).post(
        f"/teams/{platform.id}/members", {"person": str(people["candidate"].id)}
    )
    assert "TEAMONLY-a8k" in reader.get(f"/entries/{entry.id}").text
