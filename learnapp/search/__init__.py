"""Search: the full-text index, ``/search``, and related lessons on the entry page."""

from flask import Blueprint

bp = Blueprint("search", __name__)
