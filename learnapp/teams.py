"""Team membership queries and changes shared by accounts, entries and admin."""

from __future__ import annotations

from wtforms.fields.choices import SelectChoice

from learnapp import choices as choices_cache
from learnapp.models import Membership, Role, User


def team_choices(none_label: str | None = None) -> list[SelectChoice]:
    """Every team as a select option; with ``none_label``, a first option 0 for "none"."""
    choices = [SelectChoice(team_id, name) for team_id, name in choices_cache.teams()]
    return ([SelectChoice(0, none_label)] if none_label else []) + choices


def user_team_choices(user: User) -> list[SelectChoice]:
    """The teams ``user`` belongs to as select options, after "No team" (0)."""
    teams = sorted((m.team for m in user.memberships), key=lambda t: t.name)
    return [SelectChoice(0, "No team")] + [SelectChoice(t.id, t.name) for t in teams]


def set_primary_team(user: User, team_id: int | None) -> None:
    """Make ``team_id`` the user's only team, keeping their role if they already belong."""
    for membership in list(user.memberships):
        if membership.team_id != team_id:
            user.memberships.remove(membership)
    if team_id and team_id not in user.team_ids:
        user.memberships.append(Membership(team_id=team_id, role=Role.MEMBER))
