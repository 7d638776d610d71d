"""The whole entry page: the story, its improvements, its incident sections, related lessons.

Every view that answers with the full page (a plain request, or a form that came back with
errors without JavaScript) renders it here, so no section goes missing.
"""

from __future__ import annotations

from typing import Any

from flask import render_template
from flask_login import current_user

from learnapp.improvements.section import section_context
from learnapp.models import Entry
from learnapp.search.related import related_entries


def render_entry_page(
    entry: Entry, status: int = 200, improvements: dict[str, Any] | None = None, **incident: Any
) -> tuple[str, int]:
    """Render ``entry``'s page; ``improvements`` and ``incident`` override their sections'
    defaults (a form with errors, say)."""
    from learnapp.incidents.sections import incident_context  # it renders this page too

    context = section_context(entry, **(improvements or {}))
    context.update(incident_context(entry, **incident))
    context["related"] = related_entries(entry, current_user)
    return render_template("entries/show.html", **context), status
