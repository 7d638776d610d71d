"""Signed tokens in emailed links: unsubscribe, password reset and invitation.

Each kind has its own salt, so a token of one kind is never accepted as another. Tokens are
signed with ``SECRET_KEY`` (itsdangerous): they cannot be forged or altered, only expire.

- Unsubscribe: the user id, no expiry (RFC 8058 links must keep working in old emails).
- Password reset: the user id and a fingerprint of the current password hash, expiring
  after ``PASSWORD_RESET_MINUTES``. Setting a new password changes the hash, so the link
  dies once used (and so does any other reset link sent before).
- Invitation: the invitation's id, expiring after ``INVITATION_DAYS``; the row records
  acceptance, so the link works once.
- Sign-in link: the user id, a fingerprint of the password hash and a random nonce,
  expiring after ``SIGNIN_LINK_MINUTES``. A new password kills it; the nonce is marked used
  in the rate-limit store when it signs in (learnapp/auth/signin_link.py), so it works once.
"""

from __future__ import annotations

import hashlib
import secrets

from flask import current_app
from itsdangerous import BadData, URLSafeSerializer, URLSafeTimedSerializer

from learnapp.extensions import db
from learnapp.models import User

_UNSUBSCRIBE = "learnapp.unsubscribe"
_RESET = "learnapp.password-reset"
_INVITATION = "learnapp.invitation"
_SIGNIN_LINK = "learnapp.signin-link"


def _secret() -> str:
    return current_app.config["SECRET_KEY"]


def unsubscribe_token(user: User) -> str:
    """The token of ``user``'s unsubscribe link."""
    return URLSafeSerializer(_secret(), salt=_UNSUBSCRIBE).dumps({"u": user.id})


def user_from_unsubscribe_token(token: str) -> User | None:
    """The user an unsubscribe token names, or None when it is invalid or tampered with."""
    try:
        data = URLSafeSerializer(_secret(), salt=_UNSUBSCRIBE).loads(token)
    except BadData:
        return None
    return _user(data.get("u") if isinstance(data, dict) else None)


def _fingerprint(user: User) -> str:
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def password_reset_token(user: User) -> str:
    """The token of a password-reset link for ``user``."""
    payload = {"u": user.id, "p": _fingerprint(user)}
    return URLSafeTimedSerializer(_secret(), salt=_RESET).dumps(payload)


def user_from_reset_token(token: str) -> User | None:
    """The active user a reset token is for; None when invalid, expired or used already."""
    max_age = int(current_app.config["PASSWORD_RESET_MINUTES"]) * 60
    try:
        data = URLSafeTimedSerializer(_secret(), salt=_RESET).loads(token, max_age=max_age)
    except BadData:
        return None
    user = _user(data.get("u") if isinstance(data, dict) else None)
    if user is None or not user.is_active or data.get("p") != _fingerprint(user):
        return None
    return user


def signin_link_token(user: User) -> str:
    """The token of a one-time sign-in link for ``user``."""
    payload = {"u": user.id, "p": _fingerprint(user), "n": secrets.token_urlsafe(16)}
    return URLSafeTimedSerializer(_secret(), salt=_SIGNIN_LINK).dumps(payload)


def read_signin_link_token(token: str) -> tuple[User, str] | None:
    """The active user a sign-in link is for and its nonce; None when invalid, expired or
    made before the password changed. Whether it was used already is the caller's check."""
    max_age = int(current_app.config["SIGNIN_LINK_MINUTES"]) * 60
    try:
        data = URLSafeTimedSerializer(_secret(), salt=_SIGNIN_LINK).loads(token, max_age=max_age)
    except BadData:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("n"), str):
        return None
    user = _user(data.get("u"))
    if user is None or not user.is_active or data.get("p") != _fingerprint(user):
        return None
    return user, data["n"]


def invitation_token(invitation_id: int) -> str:
    """The token of the link in an invitation email."""
    return URLSafeTimedSerializer(_secret(), salt=_INVITATION).dumps({"i": invitation_id})


def invitation_id_from_token(token: str) -> int | None:
    """The invitation id a token carries; None when invalid or older than allowed."""
    max_age = int(current_app.config["INVITATION_DAYS"]) * 86_400
    try:
        data = URLSafeTimedSerializer(_secret(), salt=_INVITATION).loads(token, max_age=max_age)
    except BadData:
        return None
    ident = data.get("i") if isinstance(data, dict) else None
    return ident if isinstance(ident, int) and 0 < ident < 2**63 else None


def _user(ident: object) -> User | None:
    if not isinstance(ident, int) or not 0 < ident < 2**63:
        return None
    return db.session.get(User, ident)
