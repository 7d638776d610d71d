"""Accounts: register, log in and out, sessions that really end, settings, admin."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from learnapp.extensions import db
from learnapp.models import User
from tests.conftest import PASSWORD


def register(client, email="ada@example.com", name="Ada", password=PASSWORD, team="0"):
    return client.post(
        "/register", {"display_name": name, "email": email, "password": password, "team": team}
    )


def login(client, email="ada@example.com", password=PASSWORD, remember=False):
    data = {"email": email, "password": password}
    if remember:
        data["remember"] = "y"
    return client.post("/login", data)


def test_first_user_is_admin_and_later_ones_are_not(client, new_client):
    assert register(client).status_code == 303
    assert register(new_client(), email="grace@example.com", name="Grace").status_code == 303
    users = {u.email: u for u in db.session.scalars(select(User))}
    assert users["ada@example.com"].is_admin is True
    assert users["grace@example.com"].is_admin is False


def test_register_signs_in_and_joins_no_team_whatever_is_sent(client, teams):
    assert 'name="team"' not in client.get("/register").text
    response = register(client, team=str(teams["payments"].id))
    assert response.status_code == 303
    user = db.session.scalar(select(User))
    assert user.team_ids == set()  # only an admin, a lead or an invitation adds to a team
    assert "Welcome, Ada" in client.get("/").text


def test_passwords_are_argon2id(client):
    register(client)
    assert db.session.scalar(select(User.password_hash)).startswith("$argon2id$")


def test_email_is_unique_whatever_its_case(client, new_client):
    register(client)
    response = register(new_client(), email="ADA@Example.com", name="Ada L.")
    assert response.status_code == 422
    assert "exists already" in response.text
    assert db.session.scalar(select(db.func.count(User.id))) == 1


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("email", "not-an-email", "does not look like an email"),
        ("password", "short", "between 10 and 256"),
        ("display_name", "", "Please fill this in"),
        ("display_name", "x" * 81, "under 80"),
    ],
)
def test_register_rejects_bad_input_and_keeps_the_rest(client, field, value, message):
    data = {"display_name": "Ada", "email": "ada@example.com", "password": PASSWORD, "team": "0"}
    data[field] = value
    response = client.post("/register", data)
    assert response.status_code == 422
    assert message in response.text
    if field != "email":
        assert 'value="ada@example.com"' in response.text
    assert db.session.scalar(select(db.func.count(User.id))) == 0


def test_signup_domains_limit_registration(app, client):
    app.config["SIGNUP_DOMAINS"] = "example.org, @corp.example"
    response = register(client, email="ada@gmail.example")
    assert response.status_code == 422
    assert "corp.example, example.org only" in response.text
    assert register(client, email="ada@corp.example").status_code == 303


def test_login_failure_is_generic(client, make_user):
    make_user("Ada")
    wrong_password = login(client, password="wrong password!")
    unknown_email = login(client, email="nobody@example.com")
    for response in (wrong_password, unknown_email):
        assert response.status_code == 422
        assert "do not match an account" in response.text


def test_login_redirects_to_a_safe_next_only(client, make_user):
    make_user("Ada")
    response = client.post(
        "/login?next=/entries/new", {"email": "ada@example.com", "password": PASSWORD}
    )
    assert response.headers["Location"] == "/entries/new"


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example", "/\\evil.example", "javascript:x"]
)
def test_login_ignores_an_offsite_next(client, make_user, target):
    make_user("Ada")
    response = client.post(
        f"/login?next={target}", {"email": "ada@example.com", "password": PASSWORD}
    )
    assert response.headers["Location"] == "/"


def test_deactivated_user_cannot_log_in(client, make_user):
    make_user("Ada", active=False)
    response = login(client)
    assert response.status_code == 422
    assert "deactivated" in response.text


def test_logout_is_post_only(client, author):
    client.login_as(author)
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 303
    assert client.get("/").status_code == 303


def test_logout_ends_a_copied_session_cookie(client, new_client, make_user):
    make_user("Ada")
    login(client)
    cookie = client.raw.get_cookie("session")
    thief = new_client()
    thief.raw.set_cookie("session", cookie.value)
    assert thief.get("/").status_code == 200
    client.post("/logout")
    assert thief.get("/").status_code == 303, "a replayed cookie must be refused after logout"


def test_remember_me_cookie_is_httponly_and_ends_on_logout(client, new_client, make_user):
    make_user("Ada")
    response = login(client, remember=True)
    cookies = response.headers.getlist("Set-Cookie")
    remember = next(c for c in cookies if c.startswith("remember_token="))
    assert "HttpOnly" in remember and "SameSite=Lax" in remember
    session_cookie = next(c for c in cookies if c.startswith("session="))
    assert "HttpOnly" in session_cookie and "SameSite=Lax" in session_cookie
    token = client.raw.get_cookie("remember_token").value
    client.post("/logout")
    replay = new_client()
    replay.raw.set_cookie("remember_token", token)
    assert replay.get("/").status_code == 303


def test_secure_cookies_under_https(tmp_path, database_url, monkeypatch):
    from tests.conftest import Client, make_app

    monkeypatch.setenv("LEARNAPP_INSTANCE_PATH", str(tmp_path / "i"))
    app = make_app(database_url, HTTPS=True)
    with app.app_context():
        response = Client(app.test_client()).get("/login", base_url="https://localhost")
    assert "Secure" in response.headers["Set-Cookie"]


def test_deactivation_ends_existing_sessions(client, new_client, make_user):
    admin = make_user("Root", admin=True)
    target = make_user("Ada")
    victim = new_client().login_as(target)
    assert victim.get("/").status_code == 200
    response = client.login_as(admin).post(f"/admin/users/{target.id}/active")
    assert response.status_code == 303
    assert victim.get("/").status_code == 303


def test_outdated_hash_is_upgraded_at_login(client, make_user):
    user = make_user("Ada")
    user.password_hash = PasswordHasher(time_cost=1, memory_cost=8192).hash(PASSWORD)
    db.session.commit()
    assert login(client).status_code == 303
    db.session.refresh(user)
    assert "m=8192" not in user.password_hash and user.password_hash.startswith("$argon2id$")


def test_settings_update_name_and_timezone_but_never_the_team(client, author, teams):
    client.login_as(author)
    page = client.get("/settings").text
    assert 'value="Ada"' in page and '<select id="team"' not in page
    response = client.post(
        "/settings",
        {"display_name": "Ada L.", "timezone": "Europe/Paris", "team": str(teams["payments"].id)},
    )
    assert response.status_code == 303
    db.session.refresh(author)
    assert (author.display_name, author.timezone) == ("Ada L.", "Europe/Paris")
    assert author.team_ids == {teams["platform"].id}  # joining a team is granted, not taken
    assert author.digest_opt_in is False  # unchecked box


def test_settings_reject_an_unknown_timezone(client, author):
    client.login_as(author)
    response = client.post(
        "/settings", {"display_name": "Ada", "timezone": "Mars/Olympus", "team": "0"}
    )
    assert response.status_code == 422
    assert "Not a valid choice" in response.text


def test_admin_pages_are_for_admins_only(client, author):
    client.login_as(author)
    assert client.get("/admin/").status_code == 403
    assert client.post(f"/admin/users/{author.id}/admin").status_code == 403


def test_admin_creates_teams_and_refuses_duplicates(client, make_user):
    client.login_as(make_user("Root", admin=True))
    assert client.post("/admin/teams", {"name": "Data Platform"}).status_code == 303
    response = client.post("/admin/teams", {"name": "Data Platform"})
    assert response.status_code == 422 and "exists already" in response.text


def test_admin_cannot_lock_themselves_out(client, make_user):
    admin = make_user("Root", admin=True)
    client.login_as(admin)
    assert client.post(f"/admin/users/{admin.id}/active").status_code == 403
    assert client.post(f"/admin/users/{admin.id}/admin").status_code == 403
