"""One-time sign-in links: how the owner gets in while someone else guesses their password.

After ``LOGIN_RATE_LIMIT_PER_ACCOUNT`` wrong passwords for one email, a password alone no
longer signs that email in (learnapp/ratelimit.py). Every attempt then gets the same page,
whether or not the account exists and whether or not the password was right: the guesser
learns nothing. When the password *was* right, the account's owner is emailed a link that
signs them in: it works once, for ``SIGNIN_LINK_MINUTES``, and ends no other session.

Only the right password sends a link, so a guesser cannot fill the owner's mailbox; at most
``LINKS_PER_LIFETIME`` links go out per account per link lifetime. Opening the link shows a
button (a POST): mail scanners that fetch links must not use it up.
"""

from __future__ import annotations

from flask import (
    copy_current_request_context,
    current_app,
    make_response,
    redirect,
    render_template,
    url_for,
)
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from learnapp import ratelimit
from learnapp.auth import bp
from learnapp.extensions import db
from learnapp.mail import MailError, address, external_url, send_email
from learnapp.models import User
from learnapp.security import start_session
from learnapp.tokens import read_signin_link_token, signin_link_token

LINKS_PER_LIFETIME = 3


class SigninLinkForm(FlaskForm):
    """The button that uses a sign-in link (a CSRF-protected POST)."""


def paused_answer(user: User | None) -> Response:
    """The answer to a sign-in while its email's password alone may not sign in.

    ``user`` is the account when the password was right (else None); its owner is emailed
    a sign-in link after the answer is sent, so neither the page nor its timing differs.
    """
    response = make_response(render_template("auth/login_link_sent.html"))
    if user is not None and user.is_active:
        db.session.commit()  # keeps a password hash upgraded during the check
        user_id = user.id
        response.call_on_close(copy_current_request_context(lambda: send_signin_link(user_id)))
    return response


def send_signin_link(user_id: int) -> None:
    """Email a one-time sign-in link to the user, unless the account had its share of
    links already (failures are logged, never shown)."""
    minutes = int(current_app.config["SIGNIN_LINK_MINUTES"])
    user = db.session.get(User, user_id)
    if user is None:
        return
    email, name = user.email, user.display_name
    link = external_url("auth.signin_with_link", token=signin_link_token(user))
    budget = f"{LINKS_PER_LIFETIME} per {minutes} minutes"
    if not ratelimit.may_email_account("sign-in-link", email, budget):
        current_app.logger.info("sign-in link to user %s not sent: %s already", user_id, budget)
        return
    try:
        send_email(
            address(name, email),
            "Your learnapp sign-in link",
            "signin_link",
            display_name=name,
            signin_url=link,
            minutes=minutes,
            reset_url=external_url("auth.forgot_password"),
        )
    except MailError as error:
        current_app.logger.warning("sign-in link email to user %s failed: %s", user_id, error)


@bp.route("/login/link/<token>", methods=["GET", "POST"])
def signin_with_link(token: str) -> str | Response | tuple[str, int]:
    found = read_signin_link_token(token)
    if found is None:
        return render_template("auth/link_invalid.html", what="sign-in"), 404
    user, nonce = found
    form = SigninLinkForm()
    if not form.validate_on_submit():
        return render_template("auth/signin_link.html", form=form, user=user)
    if current_user.is_authenticated and current_user.id == user.id:
        return redirect(url_for("entries.feed"), 303)
    lifetime = int(current_app.config["SIGNIN_LINK_MINUTES"]) * 60
    if not ratelimit.use_once(f"sign-in-link/{nonce}", lifetime):
        return render_template("auth/link_invalid.html", what="sign-in"), 404
    start_session(user)
    return redirect(url_for("entries.feed"), 303)
