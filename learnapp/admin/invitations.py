"""Admins invite people by email (``POST /admin/invitations``)."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from learnapp.admin import bp
from learnapp.auth.forms import InviteForm
from learnapp.auth.invitations import invite, send_invitation
from learnapp.auth.models import Invitation
from learnapp.extensions import db
from learnapp.mail import MailError
from learnapp.models import User, utcnow


def open_invitations() -> list[Invitation]:
    """Invitations neither accepted nor expired, newest first."""
    return list(
        db.session.scalars(
            select(Invitation)
            .where(Invitation.accepted_at.is_(None), Invitation.expires_at > utcnow())
            .order_by(Invitation.created_at.desc(), Invitation.id.desc())
        )
    )


@bp.post("/invitations")
def create_invitation() -> Response | tuple[str, int]:
    form = InviteForm()
    if form.validate_on_submit() and db.session.scalar(
        select(User.id).where(User.email == form.email.data)
    ):
        form.email.errors.append("This person has an account already.")
    if form.errors or not form.is_submitted():
        html = render_template("admin/invite.html", form=form, invitations=open_invitations())
        return html, 422
    invitation, link = invite(form.email.data, current_user)
    try:
        send_invitation(invitation, link)
        flash(f"Invitation sent to {invitation.email}.", "success")
    except MailError as error:
        # The invitation stands; the admin can pass the link on another way.
        problem = f"The email could not be sent ({error})."
        flash(f"{problem} Send {invitation.email} this link yourself: {link}", "error")
    return redirect(url_for("admin.invitations"), 303)


@bp.get("/invitations")
def invitations() -> str:
    return render_template("admin/invite.html", form=InviteForm(), invitations=open_invitations())
