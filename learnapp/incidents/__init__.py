"""Incidents: declare, keep a timeline, resolve, analyse, review and publish a narrative."""

from flask import Blueprint

bp = Blueprint("incidents", __name__)

from learnapp.entries.queries import Cursor  # noqa: E402
from learnapp.incidents import (  # noqa: E402, F401  (tables and routes register on import)
    listing,
    models,
    narrative,
    review,
    timeline,
    views,
)
from learnapp.incidents.queries import who_can_publish, who_can_work_on  # noqa: E402
from learnapp.incidents.severity import parse_labels, severity_meaning  # noqa: E402
from learnapp.incidents.times import viewer_zone_name  # noqa: E402
from learnapp.incidents.writing import MOVE_LABELS, MOVES  # noqa: E402


def cursor_text(key: tuple) -> str:
    """A list's next-page key as the ``cursor`` query argument."""
    return Cursor(*key).encode()


# Templates show each button by the same rule the views enforce.
helpers = (who_can_publish, who_can_work_on, severity_meaning, viewer_zone_name)
for helper in (*helpers, cursor_text):
    bp.add_app_template_global(helper)
bp.add_app_template_global(MOVES, "INCIDENT_MOVES")
bp.add_app_template_global(MOVE_LABELS, "INCIDENT_MOVE_LABELS")


@bp.record_once
def _check_severity_labels(state: object) -> None:
    # Refuse to start with labels that do not name four levels, rather than fail on a page.
    parse_labels(state.app.config["SEVERITY_LABELS"])  # type: ignore[attr-defined]
