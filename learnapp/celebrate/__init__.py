"""Celebration: cheers for done improvements, thanks for sharing, and the board."""

from flask import Blueprint

bp = Blueprint("celebrate", __name__)
