"""Account views: thin, each named for its action."""

from __future__ import annotations

import unicodedata
from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, logout_user
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Response

from learnapp import ratelimit
from learnapp.auth import bp
from learnapp.auth.forms import LoginForm, RegisterForm, SettingsForm
from learnapp.auth.names import NAME_TAKEN, commit_unless_name_taken, is_name_clash
from learnapp.auth.signin_link import paused_answer
from learnapp.extensions import db
from learnapp.models import User
from learnapp.security import check_password, end_all_sessions, hash_password, start_session


def safe_next(target: str | None) -> str:
    """``target`` when it is a plain path on this site, else the home page.

    Refused: a scheme or host (an open redirect), a backslash (browsers read ``/\\evil`` as
    ``//evil``), and control characters (CR/LF would split the Location header).
    """
    target = target or ""
    parts = urlsplit(target)
    on_site = (
        target.startswith("/")
        and not target.startswith("//")
        and "\\" not in target
        and not any(unicodedata.category(char) == "Cc" for char in target)
        and not (parts.scheme or parts.netloc)
    )
    return target if on_site else url_for("entries.feed")


@bp.route("/register", methods=["GET", "POST"])
def register() -> str | Response | tuple[str, int]:
    if current_user.is_authenticated:
        return redirect(url_for("entries.feed"), 303)
    form = RegisterForm()
    if not form.validate_on_submit():
        return render_template("auth/register.html", form=form), 422 if form.is_submitted() else 200
    user = add_account(form)
    if user is None:
        return render_template("auth/register.html", form=form), 422
    db.session.commit()
    return welcome(user)


def add_account(form: RegisterForm) -> User | None:
    """Add (not commit) the account the valid ``form`` describes; None, with the error on
    the form, when the email has an account already or another request took the name a
    moment ago. The first account is an admin."""
    first_user = db.session.scalar(select(func.count(User.id))) == 0
    user = User(
        email=form.email.data,
        display_name=form.display_name.data,
        password_hash=hash_password(form.password.data),
        is_admin=first_user,
    )
    db.session.add(user)
    try:
        db.session.flush()
    except IntegrityError as error:
        db.session.rollback()
        if is_name_clash(error):
            form.display_name.errors.append(NAME_TAKEN)
        else:
            form.email.errors.append("An account with this email exists already. Try logging in.")
        return None
    return user


def welcome(user: User) -> Response:
    """Sign the new (committed) account in and greet it on the feed."""
    start_session(user)
    flash(f"Welcome, {user.display_name}! Log your first lesson below.", "success")
    return redirect(url_for("entries.feed"), 303)


@bp.route("/login", methods=["GET", "POST"])
def login() -> str | Response | tuple[str, int]:
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")), 303)
    form = LoginForm()
    if not form.validate_on_submit():
        return render_template("auth/login.html", form=form), 422 if form.is_submitted() else 200
    may_try = ratelimit.account_may_try(form.email.data)
    user = db.session.scalar(select(User).where(User.email == form.email.data))
    # Always verified, against a dummy hash when there is no account: the same work.
    right = check_password(user, form.password.data)
    if not may_try:
        return paused_answer(user if right else None)
    if not right:
        ratelimit.note_failed_sign_in(form.email.data)
        form.form_errors.append("That email and password do not match an account.")
        return render_template("auth/login.html", form=form), 422
    if not user.is_active:
        form.form_errors.append("This account has been deactivated. Ask an admin to restore it.")
        return render_template("auth/login.html", form=form), 422
    db.session.commit()  # keeps a password hash upgraded during the check
    start_session(user, remember=form.remember.data)
    return redirect(safe_next(request.args.get("next")), 303)


@bp.route("/logout", methods=["POST"])
@login_required
def logout() -> Response:
    # Ends this session and every copy of its cookie, on every device.
    end_all_sessions(current_user)
    db.session.commit()
    logout_user()
    flash("You are logged out.", "info")
    return redirect(url_for("auth.login"), 303)


@bp.route("/settings", methods=["GET", "POST"])
@login_required
def settings() -> str | Response | tuple[str, int]:
    user = current_user._get_current_object()
    form = SettingsForm(obj=user)
    if not form.validate_on_submit():
        status = 422 if form.is_submitted() else 200
        return render_template("auth/settings.html", form=form), status
    user.display_name = form.display_name.data
    user.timezone = form.timezone.data
    user.digest_opt_in = form.digest_opt_in.data
    if not commit_unless_name_taken():
        form.display_name.errors.append(NAME_TAKEN)  # taken since the form's own check
        return render_template("auth/settings.html", form=form), 422
    flash("Settings saved.", "success")
    return redirect(url_for("auth.settings"), 303)
