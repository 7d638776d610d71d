"""Accounts: register, log in, log out and personal settings."""

from flask import Blueprint

bp = Blueprint("auth", __name__)

from learnapp.auth import views  # noqa: E402, F401  (routes register on import)
