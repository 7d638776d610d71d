"""Who is in a team, for its members page."""

from __future__ import annotations

from flask import abort
from sqlalchemy import case, select
from sqlalchemy.orm import joinedload

from learnapp.extensions import db
from learnapp.models import Membership, Role, Team, User


def memberships_of(team: Team) -> list[Membership]:
    """The team's memberships with their people: leads first, then by name."""
    return list(
        db.session.scalars(
            select(Membership)
            .join(Membership.user)
            .where(Membership.team_id == team.id)
            .options(joinedload(Membership.user))
            .order_by(case((Membership.role == Role.LEAD, 0), else_=1), User.display_name, User.id)
        )
    )


def my_memberships(user: User) -> list[Membership]:
    """``user``'s teams, read now (not as the request began), by team name."""
    return list(
        db.session.scalars(
            select(Membership)
            .join(Membership.team)
            .where(Membership.user_id == user.id)
            .options(joinedload(Membership.team))
            .order_by(Team.name)
        )
    )


def load_member(team: Team, user_id: int) -> User:
    """The person ``user_id`` in ``team``, or 404."""
    user = (
        db.session.scalar(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.team_id == team.id, User.id == user_id)
        )
        if 0 < user_id < 2**63
        else None
    )
    if user is None:
        abort(404)
    return user
