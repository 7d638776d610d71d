"""Entries: the feed, quick entry, the entry page, edit, soft delete and undo."""

from flask import Blueprint

bp = Blueprint("entries", __name__)

from learnapp.entries import views  # noqa: E402, F401  (routes register on import)
