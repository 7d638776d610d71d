"""Teams and who is in them: select options, and the membership changes of every path.

Membership is granted, never taken: an admin or a lead of the team adds someone, or the
person accepts an invitation to the team. Anyone may leave a team. Each change is one
statement that a double click or a simultaneous request cannot turn into an error, and it
counts from the next request on: the signed-in user's teams are read with the user on
every request (``learnapp.security.load_user``).
"""

from __future__ import annotations

from flask import abort
from sqlalchemy import delete, update
from sqlalchemy.dialects import postgresql, sqlite
from wtforms.fields.choices import SelectChoice

from learnapp import choices as choices_cache
from learnapp.extensions import db
from learnapp.models import Membership, Role, Team, User


def team_choices(none_label: str | None = None) -> list[SelectChoice]:
    """Every team as a select option; with ``none_label``, a first option 0 for "none"."""
    choices = [SelectChoice(team_id, name) for team_id, name in choices_cache.teams()]
    return ([SelectChoice(0, none_label)] if none_label else []) + choices


def user_team_choices(user: User) -> list[SelectChoice]:
    """The teams ``user`` belongs to as select options, after "No team" (0)."""
    teams = sorted((m.team for m in user.memberships), key=lambda t: t.name)
    return [SelectChoice(0, "No team")] + [SelectChoice(t.id, t.name) for t in teams]


def may_manage(user: User, team_id: int) -> bool:
    """Whether ``user`` may change who is in team ``team_id``: an admin or its lead."""
    return user.is_admin or user.is_lead_of(team_id)


def refusal(team: Team) -> str:
    """The sentence that says who may change who is in ``team``."""
    return f"Only an admin or a lead of {team.name} can change who is in it."


def load_team(team_id: int) -> Team:
    """The team ``team_id``, or 404."""
    team = db.session.get(Team, team_id) if 0 < team_id < 2**63 else None
    if team is None:
        abort(404)
    return team


def load_managed_team(team_id: int, user: User) -> Team:
    """The team ``user`` wants to manage: 404 when unknown, 403 unless admin or its lead."""
    team = load_team(team_id)
    if not may_manage(user, team.id):
        abort(403, refusal(team))
    return team


def add_member(team_id: int, user_id: int, role: Role = Role.MEMBER) -> None:
    """Make ``user_id`` a member of ``team_id`` (a lead stays a lead); twice is harmless."""
    dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    db.session.execute(
        dialect.insert(Membership)
        .values(user_id=user_id, team_id=team_id, role=role)
        .on_conflict_do_nothing()
    )


def remove_member(team_id: int, user_id: int) -> bool:
    """Take ``user_id`` out of ``team_id``; whether they were in it."""
    done = db.session.execute(
        delete(Membership)
        .where(Membership.team_id == team_id, Membership.user_id == user_id)
        .execution_options(synchronize_session=False)  # the session ends with the request
    )
    return done.rowcount == 1


def set_role(team_id: int, user_id: int, role: Role) -> bool:
    """Make the member ``user_id`` of ``team_id`` a lead or a plain member; whether they
    are a member."""
    done = db.session.execute(
        update(Membership)
        .where(Membership.team_id == team_id, Membership.user_id == user_id)
        .values(role=role)
        .execution_options(synchronize_session=False)
    )
    return done.rowcount == 1
