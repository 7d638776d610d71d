"""Forgotten passwords: ask for a link by email, then set a new password with it.

The answer to "send me a link" is the same page, at the same speed, whether or not the
email has an account: the email is sent after the response (``call_on_close``), so neither
the words nor the time tell who has an account. Both forms are limited per client address.

One account gets at most ``PASSWORD_RESET_EMAILS_PER_ACCOUNT`` reset emails, counted in fixed
windows from the first: over it nothing new is sent, and the links already sent keep working.
The window may not outlast a link (checked at start-up), so whenever a request sends nothing
the owner's mailbox holds a link that still works: someone asking for resets again and
again cannot fill the mailbox, nor keep the owner from setting a new password.
"""

from __future__ import annotations

from flask import (
    copy_current_request_context,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    url_for,
)
from sqlalchemy import select
from werkzeug.wrappers import Response

from learnapp import ratelimit
from learnapp.auth import bp
from learnapp.auth.forms import ForgotPasswordForm, ResetPasswordForm
from learnapp.extensions import db
from learnapp.mail import MailError, address, external_url, send_email
from learnapp.models import User
from learnapp.security import end_all_sessions, hash_password
from learnapp.tokens import password_reset_token, user_from_reset_token


@bp.route("/password/forgot", methods=["GET", "POST"])
def forgot_password() -> str | Response | tuple[str, int]:
    form = ForgotPasswordForm()
    if not form.validate_on_submit():
        status = 422 if form.is_submitted() else 200
        return render_template("auth/forgot.html", form=form), status
    user = db.session.scalar(select(User).where(User.email == form.email.data))
    response = make_response(render_template("auth/forgot_sent.html", email=form.email.data))
    if user is not None and user.is_active:
        user_id = user.id
        response.call_on_close(copy_current_request_context(lambda: send_reset_link(user_id)))
    return response


def send_reset_link(user_id: int) -> None:
    """Email a password-reset link to the user, unless the account had its share of them
    (failures are logged, never shown)."""
    user = db.session.get(User, user_id)
    if user is None:
        return
    minutes = int(current_app.config["PASSWORD_RESET_MINUTES"])
    link = external_url("auth.reset_password", token=password_reset_token(user))
    to = address(user.display_name, user.email)
    budget = current_app.config["PASSWORD_RESET_EMAILS_PER_ACCOUNT"]
    if not ratelimit.may_email_account("password-reset", user.email, budget):
        current_app.logger.info("password reset email to user %s not sent: %s", user_id, budget)
        return
    try:
        send_email(
            to,
            "Reset your learnapp password",
            "password_reset",
            user=user,
            reset_url=link,
            minutes=minutes,
        )
    except MailError as error:
        current_app.logger.warning("password reset email to user %s failed: %s", user_id, error)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str) -> str | Response | tuple[str, int]:
    user = user_from_reset_token(token)
    if user is None:
        return render_template("auth/link_invalid.html", what="password reset"), 404
    form = ResetPasswordForm()
    if not form.validate_on_submit():
        status = 422 if form.is_submitted() else 200
        return render_template("auth/reset.html", form=form, token=token), status
    user.password_hash = hash_password(form.password.data)  # the link dies with the old hash
    end_all_sessions(user)  # whoever knew the old password is signed out everywhere
    db.session.commit()
    flash("Your password is changed. Log in with the new one.", "success")
    return redirect(url_for("auth.login"), 303)
