"""Common passwords are refused on registration and by create-user, whatever their case."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from learnapp.auth.passwords import common_passwords, is_common
from learnapp.extensions import db
from learnapp.models import User

STRONG = "harbour kettle violet 42"


def register(client, password):
    return client.post(
        "/register",
        {"display_name": "Ada", "email": "ada@example.com", "password": password, "team": "0"},
    )


def test_the_list_holds_ten_thousand_lower_case_passwords():
    passwords = common_passwords()
    assert len(passwords) == 10_000
    assert all(p == p.lower() for p in passwords)


@pytest.mark.parametrize("password", ["1234567890", "qwertyuiop", "Password123", "ILOVEYOU12"])
def test_registration_refuses_a_common_password(client, password):
    response = register(client, password)
    assert response.status_code == 422
    assert "one of the most common passwords" in response.text
    assert db.session.scalar(select(func.count(User.id))) == 0


def test_a_short_common_password_gets_only_the_length_message(client):
    response = register(client, "password")
    assert response.status_code == 422
    assert "between 10 and 256" in response.text
    assert "most common" not in response.text


def test_registration_accepts_a_strong_password(client):
    assert not is_common(STRONG)
    assert register(client, STRONG).status_code == 303
    assert db.session.scalar(select(User.email)) == "ada@example.com"


def test_create_user_refuses_a_common_password(app):
    result = app.test_cli_runner().invoke(
        args=["create-user", "--email", "root@example.com", "--name", "Root"],
        input="Password123\nPassword123\n",
    )
    assert result.exit_code != 0
    assert "most common passwords" in result.output
    assert db.session.scalar(select(func.count(User.id))) == 0
