"""What the entry page's incident sections show, and how every incident change answers:
the section's fragment under htmx, otherwise a redirect with a flash (or the page again,
with the form's errors, for invalid input)."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy.orm.attributes import set_committed_value
from werkzeug.wrappers import Response

from learnapp.formatting import viewer_zone
from learnapp.htmx import is_fragment_request
from learnapp.incidents.draft import assemble_draft
from learnapp.incidents.forms import (
    AnalysisForm,
    FactorForm,
    NarrativeForm,
    NewEventForm,
    PromoteForm,
    ReviewNotesForm,
    StatusForm,
)
from learnapp.incidents.models import Incident, IncidentStatus, ReviewStepName
from learnapp.incidents.queries import (
    can_publish,
    can_work_on,
    incident_of,
    load_parts,
    spans_days,
)
from learnapp.models import Entry

Page = str | Response | tuple[str, int]
OPEN_FOR_REVIEW = (IncidentStatus.RESOLVED, IncidentStatus.IN_REVIEW)


def incident_context(entry: Entry, **overrides: Any) -> dict[str, Any]:
    """The incident sections' context for ``entry`` (a promote form for a lesson).

    ``overrides`` replace a default (a form with errors, hints, a preview).
    """
    incident = overrides.pop("incident", None) or incident_of(entry)
    if incident is None:
        form = overrides.get("promote_form") or PromoteForm(formdata=None)
        return {
            "incident": None,
            "may_promote": can_publish(entry, current_user),
            "promote_form": form,
        }
    parts = load_parts(incident)
    factors = parts.factors
    set_committed_value(entry, "factors", factors)
    responder = any(r.user_id == current_user.id for r in parts.responders)
    own = next((a for a in parts.analyses if a.author_id == current_user.id), None)
    zone = viewer_zone()
    context: dict[str, Any] = {
        "incident": incident,
        "parts": parts,
        "factors": factors,
        "steps": list(ReviewStepName),
        "is_responder": responder,
        "may_work": can_work_on(entry, current_user, responder),
        "may_publish": can_publish(entry, current_user),
        "open_for_review": incident.status in OPEN_FOR_REVIEW,
        "time_format": "%-d %b %H:%M" if spans_days(incident, parts.events, zone) else "%H:%M",
        "zone_name": zone.key,
        "own_analysis": own,
        "hints": [],
        "preview": None,
    }
    context.update(overrides)
    context.setdefault("incident_status_form", StatusForm(formdata=None))
    context.setdefault("event_form", NewEventForm(formdata=None))
    context.setdefault("analysis_form", AnalysisForm(formdata=None, obj=own))
    context.setdefault("notes_form", ReviewNotesForm(formdata=None, obj=incident))
    context.setdefault("factor_form", FactorForm(formdata=None))
    if "narrative_form" not in context:
        form = NarrativeForm(formdata=None)
        form.draft.data = incident.narrative or draft_for(entry, incident, context)
        context["narrative_form"] = form
    return context


def draft_for(entry: Entry, incident: Incident, context: dict[str, Any]) -> str:
    """The assembled first draft, from what ``context`` already loaded."""
    return assemble_draft(
        entry, incident, context["parts"].events, context["factors"], viewer_zone()
    )


def answer(
    entry: Entry,
    fragment: str,
    message: str = "",
    status: int = 200,
    stay: bool = False,
    **overrides: Any,
) -> Page:
    """Answer an incident change.

    htmx: the ``fragment`` ("timeline", "review", …) as the page includes it, with
    ``message`` for screen readers. Otherwise: valid input redirects to that section with a
    flash; invalid input (status 422) or ``stay`` renders the entry page again.
    """
    if is_fragment_request():
        context = incident_context(entry, **overrides)
        html = render_template(
            "incidents/_answer.html",
            fragment=f"incidents/_{fragment}.html",
            entry=entry,
            announce=message,
            **context,
        )
        return html, status
    if status < 400 and not stay:
        if message:
            flash(message, "success")
        return redirect(url_for("entries.show_entry", entry_id=entry.id) + f"#{fragment}", 303)
    return render_entry_page(entry, status, **overrides)


def render_entry_page(entry: Entry, status: int = 200, **overrides: Any) -> tuple[str, int]:
    """The whole entry page, with ``overrides`` for the incident sections."""
    from learnapp.entries.page import render_entry_page as render_page  # it imports us

    return render_page(entry, status, **overrides)
