"""Invitations: an admin invites an email, to a team or to an account alone; a team's lead
invites to that team. The link lets that person register, even from a domain that
``SIGNUP_DOMAINS`` would refuse, or, when they have an account, join the team once signed
in as that email. Accepting an invitation to a team makes them a member. The link expires
and works once."""

from __future__ import annotations

from datetime import timedelta

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select, update
from werkzeug.wrappers import Response

from learnapp.auth import bp
from learnapp.auth.forms import InvitedRegisterForm
from learnapp.auth.models import Invitation
from learnapp.auth.views import add_account, welcome
from learnapp.extensions import db
from learnapp.mail import MailError, external_url, send_email
from learnapp.models import Team, User, utcnow
from learnapp.teams import add_member
from learnapp.tokens import invitation_id_from_token, invitation_token


def invitation_problem(email: str, team: Team | None) -> str | None:
    """Why ``email`` cannot be invited (to ``team``, or to an account alone), or None."""
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None:
        return None
    if team is None:
        return "This person has an account already. Invite them to a team instead."
    if team.id in user.team_ids:
        return f"This person is in {team.name} already."
    return None


def invite(email: str, by: User, team: Team | None = None) -> tuple[Invitation, str]:
    """Record an invitation of ``email`` (committed) and return it with its link."""
    days = int(current_app.config["INVITATION_DAYS"])
    invitation = Invitation(
        email=email, invited_by=by, team=team, expires_at=utcnow() + timedelta(days=days)
    )
    db.session.add(invitation)
    db.session.commit()
    return invitation, external_url("auth.accept_invitation", token=invitation_token(invitation.id))


def send_invitation(invitation: Invitation, link: str) -> None:
    """Email the invitation; ``MailError`` when the server would not take it."""
    where = f"{invitation.team.name} on learnapp" if invitation.team else "learnapp"
    send_email(
        invitation.email,
        f"{invitation.invited_by.display_name} invites you to {where}",
        "invitation",
        invitation=invitation,
        invite_url=link,
        days=int(current_app.config["INVITATION_DAYS"]),
    )


def invite_and_send(email: str, by: User, team: Team | None) -> tuple[str, str]:
    """Invite ``email`` and email the link: the message for the inviter and its category."""
    invitation, link = invite(email, by, team)
    try:
        send_invitation(invitation, link)
    except MailError as error:
        # The invitation stands; the inviter can pass the link on another way.
        problem = f"The email could not be sent ({error})."
        return f"{problem} Send {invitation.email} this link yourself: {link}", "error"
    return f"Invitation sent to {invitation.email}.", "success"


def load_open_invitation(token: str) -> Invitation | None:
    """The invitation a token names, if it is neither accepted nor expired."""
    ident = invitation_id_from_token(token)
    invitation = db.session.get(Invitation, ident) if ident else None
    return invitation if invitation and invitation.is_open(utcnow()) else None


def _link_invalid() -> tuple[str, int]:
    return render_template("auth/link_invalid.html", what="invitation"), 404


@bp.route("/invitations/<token>", methods=["GET", "POST"])
def accept_invitation(token: str) -> str | Response | tuple[str, int]:
    invitation = load_open_invitation(token)
    if invitation is None:
        return _link_invalid()
    if current_user.is_authenticated:
        return _accept_as_signed_in(invitation)
    if db.session.scalar(select(User.id).where(User.email == invitation.email)):
        # Their account accepts it, once they sign in (the page links to the login).
        page = render_template("auth/invitation.html", invitation=invitation, form=FlaskForm())
        return page, 200 if request.method == "GET" else 422
    form = InvitedRegisterForm()
    form.email.data = invitation.email  # the invited address, whatever was submitted
    if not form.validate_on_submit():
        status = 422 if form.is_submitted() else 200
        return render_template("auth/register.html", form=form, invitation=invitation), status
    user = add_account(form)
    if user is None or not _mark_accepted(invitation, user):
        db.session.rollback()
        if user is not None:  # accepted by someone else a moment ago
            return _link_invalid()
        return render_template("auth/register.html", form=form, invitation=invitation), 422
    if invitation.team_id:
        add_member(invitation.team_id, user.id)
    db.session.commit()
    return welcome(user)


def _accept_as_signed_in(invitation: Invitation) -> str | Response | tuple[str, int]:
    """The invited person, signed in: a button to join the team, and joining it."""
    user = current_user._get_current_object()
    if user.email != invitation.email:
        abort(
            403,
            f"This invitation is for {invitation.email}, and you are signed in as {user.email}."
            " Log out, then open the link again.",
        )
    form = FlaskForm()
    if not form.validate_on_submit():
        return render_template("auth/invitation.html", invitation=invitation, form=form)
    team = invitation.team
    if not _mark_accepted(invitation, user):
        db.session.rollback()
        return _link_invalid()
    if team is not None:
        add_member(team.id, user.id)
    db.session.commit()
    flash(f"You are now in {team.name}." if team else "Invitation accepted.", "success")
    return redirect(url_for("entries.feed"), 303)


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
