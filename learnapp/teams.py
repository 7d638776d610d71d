"""Team membership queries and changes shared by accounts, entries and admin."""

from __future__ import annotations

from sqlalchemy import select

from learnapp.extensions import db
from learnapp.models import Membership, Role, Team, User


def team_choices(allow_none: bool = False) -> list[tuple[int, str]]:
    """(id, name) of every team, for a select; 0 stands for "no team"."""
    teams = db.session.execute(select(Team.id, Team.name).order_by(Team.name)).all()
    choices = [(team_id, name) for team_id, name in teams]
    return ([(0, "No team")] if allow_none else []) + choices


def user_team_choices(user: User) -> list[tuple[int, str]]:
    """(id, name) of the teams ``user`` belongs to, plus "no team" (0)."""
    teams = sorted((m.team for m in user.memberships), key=lambda t: t.name)
    return [(0, "No team")] + [(t.id, t.name) for t in teams]


def set_primary_team(user: User, team_id: int | None) -> None:
    """Make ``team_id`` the user's only team, keeping their role if they already belong."""
    for membership in list(user.memberships):
        if membership.team_id != team_id:
            user.memberships.remove(membership)
    if team_id and team_id not in user.team_ids:
        user.memberships.append(Membership(team_id=team_id, role=Role.MEMBER))
