"""Display names people can tell apart: no two active people share one, whatever the case,
the spaces or invisible characters; refused with a field error everywhere a name is chosen,
and by the database when two requests race."""

from __future__ import annotations

import html
from pathlib import Path

import pytest
from flask_migrate import upgrade
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from learnapp.auth import forms as auth_forms
from learnapp.extensions import db
from learnapp.models import User, name_key
from tests.conftest import PASSWORD, empty_database_url, make_app, password_hash

TAKEN = "Someone else is already called that"

# The same name as "Ada Lovelace", as a reader would see it.
SAME_NAMES = [
    "Ada Lovelace",
    "ada lovelace",
    "ADA LOVELACE",
    "  Ada   Lovelace  ",
    "Ada\tLovelace",
    "Ada Love\u200blace",  # a zero-width space
    "\uff21da Lovelace",  # a fullwidth A
    "Ada\u00a0Lovelace",  # a no-break space
]


def register(client, name: str, email: str = "newcomer@example.com"):
    data = {"display_name": name, "email": email, "password": PASSWORD}
    return client.post("/register", data)


def people_called(key: str) -> list[User]:
    return list(db.session.scalars(select(User).where(User.display_name_key == key)))


@pytest.fixture
def ada(make_user):
    """Ada Lovelace, active, whose name the others try to take."""
    user = make_user("Ada")
    user.display_name = "Ada Lovelace"
    db.session.commit()
    return user


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Ada Lovelace", "ada lovelace"),
        ("  Ada \t  Lovelace ", "ada lovelace"),
        ("STRASSE", "strasse"),
        ("Straße", "strasse"),  # casefold, not lower
        ("Ada\u200d\u200bLovelace", "adalovelace"),
        ("\uff21\uff44\uff41", "ada"),
    ],
)
def test_name_key_trims_collapses_and_folds(name, key):
    assert name_key(name) == key


@pytest.mark.parametrize("name", SAME_NAMES)
def test_registering_with_a_name_an_active_person_has_is_refused(client, ada, name):
    response = register(client, name)
    assert response.status_code == 422
    assert TAKEN in response.text
    assert html.escape(name.strip(), quote=True) in response.text  # the text is kept
    assert db.session.scalar(select(User).where(User.email == "newcomer@example.com")) is None


def test_only_an_active_persons_very_name_is_refused(client, new_client, ada):
    assert register(client, "ada lovelace").status_code == 422
    assert register(client, "Ada Lovelace-Byron").status_code == 303  # alike is fine
    ada.is_active_account = False
    db.session.commit()
    assert register(new_client(), "ada lovelace", "another@example.com").status_code == 303


@pytest.mark.parametrize("name", SAME_NAMES[1:])
def test_settings_refuse_another_persons_name_and_keep_the_text(client, ada, make_user, name):
    grace = make_user("Grace")
    client.login_as(grace)
    response = client.post("/settings", {"display_name": name, "timezone": "UTC"})
    assert response.status_code == 422 and TAKEN in response.text
    assert html.escape(name.strip(), quote=True) in response.text
    db.session.refresh(grace)
    assert grace.display_name == "Grace"


def test_settings_let_you_recase_your_own_name(client, ada):
    client.login_as(ada)
    response = client.post("/settings", {"display_name": "ADA  LOVELACE", "timezone": "UTC"})
    assert response.status_code == 303
    db.session.refresh(ada)
    assert ada.display_name == "ADA  LOVELACE" and ada.display_name_key == "ada lovelace"


def test_a_lost_race_at_registration_answers_the_form_not_an_error(client, ada, monkeypatch):
    # The other registration commits between this one's check and its insert.
    monkeypatch.setattr(auth_forms, "name_problem", lambda *args: None)
    response = register(client, "ada lovelace")
    assert response.status_code == 422 and TAKEN in response.text
    assert 'value="ada lovelace"' in response.text
    assert [u.id for u in people_called("ada lovelace")] == [ada.id]


def test_a_lost_race_in_settings_answers_the_form_not_an_error(client, ada, make_user, monkeypatch):
    grace = make_user("Grace")
    monkeypatch.setattr(auth_forms, "name_problem", lambda *args: None)
    client.login_as(grace)
    response = client.post("/settings", {"display_name": "Ada Lovelace", "timezone": "UTC"})
    assert response.status_code == 422 and TAKEN in response.text
    db.session.refresh(grace)
    assert grace.display_name == "Grace"


def test_the_database_refuses_two_active_people_with_one_name(app, ada):
    db.session.add(User(email="twin@example.com", display_name="ADA lovelace", password_hash="x"))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
    db.session.add(
        User(
            email="gone@example.com",
            display_name="ADA lovelace",
            password_hash="x",
            is_active_account=False,
        )
    )
    db.session.commit()  # a deactivated person's row may share it
    assert len(people_called("ada lovelace")) == 2


def test_create_user_refuses_a_taken_name(app, ada):
    result = app.test_cli_runner().invoke(
        args=["create-user", "--email", "twin@example.com", "--name", " ada  LOVELACE "],
        input="long enough pw\nlong enough pw\n",
    )
    assert result.exit_code != 0 and TAKEN in result.output
    assert db.session.scalar(select(User).where(User.email == "twin@example.com")) is None


def test_reactivating_someone_whose_name_was_taken_tells_them_apart(
    client, new_client, ada, make_user
):
    admin = make_user("Root", admin=True)
    ada.is_active_account = False
    db.session.commit()
    assert register(client, "Ada Lovelace").status_code == 303

    browser = new_client().login_as(admin)
    response = browser.post(f"/admin/users/{ada.id}/active")
    assert response.status_code == 303
    db.session.refresh(ada)
    assert ada.is_active_account and ada.display_name == "Ada Lovelace (2)"
    assert "reactivated as Ada Lovelace (2)" in browser.get("/admin/").text


def test_the_migration_tells_existing_namesakes_apart(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("LEARNAPP_INSTANCE_PATH", str(tmp_path / "instance"))
    app = make_app(empty_database_url(tmp_path))
    people = [  # (id, name, active): in id order, the first active one keeps the name
        (1, "Ada", True),
        (2, "ada ", True),
        (3, "ADA", False),
        (4, "Ada (2)", True),
        (5, "  ada", True),
        (6, "Grace", True),
    ]
    with app.app_context():
        upgrade(revision="0007_data_generation")
        for user_id, name, active in people:
            db.session.execute(
                text(
                    "INSERT INTO users (id, email, display_name, password_hash, timezone,"
                    " digest_opt_in, is_admin, is_active, session_version, created_at)"
                    " VALUES (:id, :email, :name, :hash, 'UTC', true, false, :active, 1,"
                    " '2026-01-01')"
                ),
                {
                    "id": user_id,
                    "email": f"p{user_id}@example.com",
                    "name": name,
                    "hash": password_hash(),
                    "active": active,
                },
            )
        db.session.commit()
        upgrade()
        rows = db.session.execute(
            text("SELECT id, display_name, display_name_key FROM users ORDER BY id")
        ).all()
        db.session.remove()
        db.engine.dispose()
    assert [tuple(row) for row in rows] == [
        (1, "Ada", "ada"),
        (2, "ada (3)", "ada (3)"),  # "(2)" belongs to person 4 already
        (3, "ADA", "ada"),  # deactivated: kept as it is
        (4, "Ada (2)", "ada (2)"),
        (5, "ada (4)", "ada (4)"),
        (6, "Grace", "grace"),
    ]
