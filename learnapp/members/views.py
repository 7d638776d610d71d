"""A team's members page (admins and the team's leads) and leaving a team (anyone in it).

Each change is a POST: without JavaScript it answers 303 to the page with a flash; under
htmx it answers the members section (or "your teams" in Settings) with the news announced.
"""

from __future__ import annotations

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from learnapp.auth.forms import InviteForm
from learnapp.auth.invitations import invitation_problem, invite_and_send
from learnapp.extensions import db
from learnapp.htmx import is_fragment_request, page_or_fragment, redirect_for_htmx
from learnapp.members import bp
from learnapp.members.forms import AddMemberForm
from learnapp.members.queries import load_member, memberships_of, my_memberships
from learnapp.models import Role, Team
from learnapp.teams import (
    add_member,
    load_managed_team,
    load_team,
    may_manage,
    remove_member,
    set_role,
)

ROLES = {"lead": Role.LEAD, "member": Role.MEMBER}


def _render(
    team: Team,
    add_form: AddMemberForm | None = None,
    invite_form: InviteForm | None = None,
    status: int = 200,
    notice: tuple[str, str] | None = None,
) -> tuple[str, int]:
    memberships = memberships_of(team)
    if add_form is None:
        add_form = AddMemberForm(team, {m.user_id for m in memberships}, formdata=None)
    return page_or_fragment(
        "members/team.html",
        "members/_members.html",
        status,
        team=team,
        memberships=memberships,
        add_form=add_form,
        invite_form=invite_form or InviteForm(formdata=None),
        notice=notice,
    )


def _answer(team: Team, message: str, category: str = "success") -> Response:
    """The answer to a change made: the page again (303) or, under htmx, its section."""
    # The commit expired the signed-in user: their teams are read again here, so a lead
    # who just removed themselves or gave up the lead goes to Settings instead.
    if not may_manage(current_user, team.id):
        flash(message, category)
        url = url_for("auth.settings")
        return redirect_for_htmx(url) if is_fragment_request() else redirect(url, 303)
    if not is_fragment_request():
        flash(message, category)
        return redirect(url_for("members.team_members", team_id=team.id), 303)
    response = make_response(_render(team, notice=(message, category)))
    response.headers["HX-Trigger"] = "members-changed"
    return response


@bp.get("/teams/<id:team_id>/members")
@login_required
def team_members(team_id: int) -> tuple[str, int]:
    return _render(load_managed_team(team_id, current_user))


@bp.post("/teams/<id:team_id>/members")
@login_required
def add_team_member(team_id: int) -> Response | tuple[str, int]:
    team = load_managed_team(team_id, current_user)
    form = AddMemberForm(team, {m.user_id for m in memberships_of(team)})
    if not form.validate_on_submit():
        return _render(team, add_form=form, status=422)
    add_member(team.id, form.person.data)
    name = next(c.label for c in form.person.choices if c.value == form.person.data)
    db.session.commit()
    return _answer(team, f"{name} is now in {team.name}.")


@bp.post("/teams/<id:team_id>/members/<id:user_id>/remove")
@login_required
def remove_team_member(team_id: int, user_id: int) -> Response:
    team = load_managed_team(team_id, current_user)
    member = load_member(team, user_id)
    name = member.display_name
    remove_member(team.id, member.id)
    db.session.commit()
    return _answer(team, f"{name} is no longer in {team.name}.")


@bp.post("/teams/<id:team_id>/members/<id:user_id>/role")
@login_required
def change_member_role(team_id: int, user_id: int) -> Response:
    team = load_managed_team(team_id, current_user)
    member = load_member(team, user_id)
    # The form says which role, rather than "toggle", so a double click cannot undo itself.
    role = ROLES.get(request.form.get("role", ""))
    if role is None:
        abort(400, "The button did not say whether to make them a lead or a member.")
    name = member.display_name
    set_role(team.id, member.id, role)
    db.session.commit()
    what = "a lead" if role is Role.LEAD else "a member, not a lead,"
    return _answer(team, f"{name} is now {what} of {team.name}.")


@bp.post("/teams/<id:team_id>/invitations")
@login_required
def invite_to_team(team_id: int) -> Response | tuple[str, int]:
    team = load_managed_team(team_id, current_user)
    form = InviteForm()
    if form.validate_on_submit() and (problem := invitation_problem(form.email.data, team)):
        form.email.errors.append(problem)
    if form.errors or not form.is_submitted():
        return _render(team, invite_form=form, status=422)
    return _answer(team, *invite_and_send(form.email.data, current_user, team))


@bp.post("/teams/<id:team_id>/leave")
@login_required
def leave_team(team_id: int) -> Response | tuple[str, int]:
    team = load_team(team_id)
    left = remove_member(team.id, current_user.id)
    db.session.commit()
    message = f"You left {team.name}." if left else f"You are not in {team.name}."
    if not is_fragment_request():
        flash(message, "success" if left else "info")
        return redirect(url_for("auth.settings"), 303)
    response = make_response(
        render_template(
            "members/_my_teams.html", memberships=my_memberships(current_user), announce=message
        )
    )
    response.headers["HX-Trigger"] = "teams-changed"
    return response
