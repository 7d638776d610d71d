"""Passwords, session identity and response headers.

Flask keeps sessions in signed cookies, so logging out in one browser does not invalidate a
copy of the cookie. Each user has a ``session_version`` that is part of the id Flask-Login
stores; bumping it (logout, password change, deactivation) ends every session at once.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import Flask, Response, current_app, g, redirect, request, session, url_for
from flask_login import login_user
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from learnapp.extensions import db, login_manager
from learnapp.htmx import is_fragment_request, redirect_for_htmx
from learnapp.models import Membership, User
from learnapp.parsing import MAX_ID, parse_count, parse_id

_hasher = PasswordHasher()  # argon2id with argon2-cffi's defaults (meets ASVS 5.0)
# Verified against when the email is unknown, so both failures cost the same time.
_DUMMY_HASH = _hasher.hash("not-a-real-password-just-for-timing")

# What a response that may carry someone's private content tells caches.
PERSONAL = "private, no-store"
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "form-action 'self'",
    ]
)


def hash_password(password: str) -> str:
    """An argon2id hash of ``password``."""
    return _hasher.hash(password)


def check_password(user: User | None, password: str) -> bool:
    """Whether ``password`` is ``user``'s; rehashes an outdated hash. Constant-ish time."""
    stored = user.password_hash if user else _DUMMY_HASH
    try:
        _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False
    if user is None:
        return False
    if _hasher.check_needs_rehash(stored):
        user.password_hash = hash_password(password)
    return True


def end_all_sessions(user: User) -> None:
    """Invalidate every session and remember-me cookie ``user`` holds, everywhere."""
    user.session_version = User.session_version + 1  # atomic in SQL


def start_session(user: User, remember: bool = False) -> None:
    """Sign ``user`` in, for ``SESSION_DAYS``, with a new CSRF token.

    A token seen before signing in (on the login page, or planted by someone else) must not
    authorise anything after it, so the session's CSRF secret is replaced.
    """
    login_user(user, remember=remember)
    session.permanent = True
    field = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    session.pop(field, None)
    g.pop(field, None)


# The memberships (and their teams) come in the same query: every page asks for them. Built
# once, with the id as a parameter: the loader runs on every request, and a statement built
# anew (or session.get with these options) is keyed for the compiled cache every time.
USER_WITH_TEAMS = (
    select(User)
    .options(joinedload(User.memberships).joinedload(Membership.team))
    .where(User.id == bindparam("user_id"))
)


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """Find the signed-in user; a stale session version or bad id means signed out."""
    ident, _, version = user_id.partition(":")
    user_key, version_number = parse_id(ident), parse_count(version, MAX_ID)
    if user_key is None or version_number is None:
        return None
    user = db.session.execute(USER_WITH_TEAMS, {"user_id": user_key}).unique().scalar()
    if user is None or user.session_version != version_number or not user.is_active:
        return None
    return user


@login_manager.unauthorized_handler
def _unauthorized() -> Response:
    login_url = url_for("auth.login", next=request.full_path.rstrip("?"))
    if is_fragment_request():
        # Never swap a login page into a fragment: send the whole page there.
        return redirect_for_htmx(login_url)
    return redirect(login_url, 303)


def init_app(app: Flask) -> None:
    login_manager.login_view = "auth.login"

    @app.after_request
    def _security_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        # Not "no-referrer": Flask-WTF's HTTPS CSRF check compares the Referer's origin.
        headers.setdefault("Referrer-Policy", "same-origin")
        # Pages and downloads show private entries: no shared or back-button cache may keep
        # them. Static files set their own caching before this runs.
        if response.mimetype == "text/html":
            headers["Cache-Control"] = PERSONAL
        else:
            headers.setdefault("Cache-Control", PERSONAL)
        return response
