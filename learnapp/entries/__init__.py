"""Entries: the feed, quick entry, the entry page, edit, soft delete and undo."""

from flask import Blueprint

bp = Blueprint("entries", __name__)
