"""Invitations: an admin invites an email; its link lets that person register, even from a
domain that ``SIGNUP_DOMAINS`` would refuse. The link expires and works once."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app, render_template
from sqlalchemy import update
from werkzeug.wrappers import Response

from learnapp.auth import bp
from learnapp.auth.forms import InvitedRegisterForm
from learnapp.auth.models import Invitation
from learnapp.auth.views import add_account, welcome
from learnapp.extensions import db
from learnapp.mail import external_url, send_email
from learnapp.models import User, utcnow
from learnapp.teams import team_choices
from learnapp.tokens import invitation_id_from_token, invitation_token


def invite(email: str, by: User) -> tuple[Invitation, str]:
    """Record an invitation of ``email`` (committed) and return it with its link."""
    days = int(current_app.config["INVITATION_DAYS"])
    invitation = Invitation(email=email, invited_by=by, expires_at=utcnow() + timedelta(days=days))
    db.session.add(invitation)
    db.session.commit()
    return invitation, external_url("auth.accept_invitation", token=invitation_token(invitation.id))


def send_invitation(invitation: Invitation, link: str) -> None:
    """Email the invitation; ``MailError`` when the server would not take it."""
    send_email(
        invitation.email,
        f"{invitation.invited_by.display_name} invites you to learnapp",
        "invitation",
        invitation=invitation,
        invite_url=link,
        days=int(current_app.config["INVITATION_DAYS"]),
    )


def load_open_invitation(token: str) -> Invitation | None:
    """The invitation a token names, if it is neither accepted nor expired."""
    ident = invitation_id_from_token(token)
    invitation = db.session.get(Invitation, ident) if ident else None
    return invitation if invitation and invitation.is_open(utcnow()) else None


@bp.route("/invitations/<token>", methods=["GET", "POST"])
def accept_invitation(token: str) -> str | Response | tuple[str, int]:
    invitation = load_open_invitation(token)
    if invitation is None:
        return render_template("auth/link_invalid.html", what="invitation"), 404
    form = InvitedRegisterForm()
    form.team.choices = team_choices(none_label="No team")
    form.email.data = invitation.email  # the invited address, whatever was submitted
    if not form.validate_on_submit():
        status = 422 if form.is_submitted() else 200
        return render_template("auth/register.html", form=form, invitation=invitation), status
    user = add_account(form)
    if user is None or not _mark_accepted(invitation, user):
        db.session.rollback()
        if user is not None:  # accepted by someone else a moment ago
            return render_template("auth/link_invalid.html", what="invitation"), 404
        return render_template("auth/register.html", form=form, invitation=invitation), 422
    db.session.commit()
    return welcome(user)


def _mark_accepted(invitation: Invitation, user: User) -> bool:
    # Atomic: of two registrations racing on one link, only one sees its row updated.
    done = db.session.execute(
        update(Invitation)
        .where(
            Invitation.id == invitation.id,
            Invitation.accepted_at.is_(None),
            Invitation.expires_at > utcnow(),
        )
        .values(accepted_at=utcnow(), user_id=user.id)
    )
    return done.rowcount == 1
