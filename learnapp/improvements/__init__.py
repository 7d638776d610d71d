"""Improvements: add from an entry, move along the flow, the backlog, figures and CSV export."""

from flask import Blueprint

bp = Blueprint("improvements", __name__)

from learnapp.improvements import backlog, models, views  # noqa: E402, F401  (routes register)
from learnapp.improvements.forms import is_link  # noqa: E402
from learnapp.improvements.queries import can_handle_entry, can_move, who_can_move  # noqa: E402
from learnapp.improvements.writing import MOVE_LABELS, targets_from  # noqa: E402

# Templates show each button by the same rule the views enforce.
for helper in (can_move, can_handle_entry, who_can_move, targets_from, is_link):
    bp.add_app_template_global(helper)
bp.add_app_template_global(MOVE_LABELS, "MOVE_LABELS")
