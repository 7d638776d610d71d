"""Entries: the feed, quick entry, the entry page, edit, soft delete and undo."""

from flask import Blueprint

bp = Blueprint("entries", __name__)

from learnapp.entries import views  # noqa: E402, F401  (routes register on import)
from learnapp.entries.queries import can_delete, can_edit  # noqa: E402

# Templates show the Edit and Delete buttons by the same rules the views enforce.
bp.add_app_template_global(can_edit, "can_edit")
bp.add_app_template_global(can_delete, "can_delete")
