"""Admins invite people by email (``POST /admin/invitations``), to a team or to an account
alone; a team's lead invites to that team from its members page (learnapp.members)."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response

from learnapp.admin import bp
from learnapp.auth.forms import AdminInviteForm
from learnapp.auth.invitations import invitation_problem, invite_and_send
from learnapp.auth.models import Invitation
from learnapp.extensions import db
from learnapp.models import Team, utcnow
from learnapp.teams import team_choices


def open_invitations() -> list[Invitation]:
    """Invitations neither accepted nor expired, newest first."""
    return list(
        db.session.scalars(
            select(Invitation)
            .where(Invitation.accepted_at.is_(None), Invitation.expires_at > utcnow())
            .options(selectinload(Invitation.invited_by), selectinload(Invitation.team))
            .order_by(Invitation.created_at.desc(), Invitation.id.desc())
        )
    )


def _invite_form() -> AdminInviteForm:
    form = AdminInviteForm()
    form.team.choices = team_choices(none_label="No team (an account only)")
    return form


@bp.post("/invitations")
def create_invitation() -> Response | tuple[str, int]:
    form = _invite_form()
    team = None
    if form.validate_on_submit():
        team = db.session.get(Team, form.team.data) if form.team.data else None
        if problem := invitation_problem(form.email.data, team):
            form.email.errors.append(problem)
    if form.errors or not form.is_submitted():
        html = render_template("admin/invite.html", form=form, invitations=open_invitations())
        return html, 422
    flash(*invite_and_send(form.email.data, current_user, team))
    return redirect(url_for("admin.invitations"), 303)


@bp.get("/invitations")
def invitations() -> str:
    return render_template("admin/invite.html", form=_invite_form(), invitations=open_invitations())
