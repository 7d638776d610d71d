"""Incident views on the entry page: promote a lesson, move the status, join as responder."""

from __future__ import annotations

from flask import abort, render_template
from flask_login import current_user, login_required

from learnapp.entries.queries import load_visible_entry
from learnapp.extensions import db
from learnapp.htmx import is_fragment_request
from learnapp.incidents import bp
from learnapp.incidents.forms import PromoteForm, StatusForm
from learnapp.incidents.models import Incident, IncidentStatus
from learnapp.incidents.queries import (
    can_publish,
    can_work_on,
    incident_of,
    is_responder,
    load_incident,
    who_can_publish,
    who_can_work_on,
)
from learnapp.incidents.sections import Page, answer, incident_context, render_entry_page
from learnapp.incidents.writing import MOVES, declare, join, move
from learnapp.models import Entry


def load_workable(entry_id: int) -> tuple[Entry, Incident]:
    """The incident, if the viewer may work on it (403 saying who may otherwise)."""
    entry, incident = load_incident(entry_id, current_user)
    if not can_work_on(entry, current_user, is_responder(incident, current_user)):
        abort(403, who_can_work_on(entry))
    return entry, incident


@bp.post("/entries/<id:entry_id>/promote")
@login_required
def promote_entry(entry_id: int) -> Page:
    entry = load_visible_entry(entry_id, current_user)
    if not can_publish(entry, current_user):
        abort(
            403, who_can_publish(entry).replace("publish its narrative", "declare it an incident")
        )
    if incident_of(entry) is not None:
        return answer(entry, "incident", "It is already an incident.")
    form = PromoteForm()
    if not form.validate_on_submit():
        return answer(entry, "incident", status=422, promote_form=form)
    declare(entry, current_user, **form.values())
    db.session.commit()
    return answer(entry, "incident", "Declared an incident. Focus on fixing it.")


@bp.post("/entries/<id:entry_id>/status")
@login_required
def change_status(entry_id: int) -> Page:
    entry, incident = load_workable(entry_id)
    form = StatusForm(started_at=incident.started_at)
    if not form.validate_on_submit():
        return answer(entry, "incident", status=422, incident=incident, incident_status_form=form)
    target, expected = IncidentStatus(form.to.data), IncidentStatus(form.expected.data)
    if target not in MOVES[expected]:
        abort(400, f"An incident cannot move from {expected.label} to {target.label}.")
    resolved = {"resolved_at": form.resolved_at.data} if target is IncidentStatus.RESOLVED else {}
    moved = move(incident, target, expected, current_user, **resolved)
    db.session.commit()
    notice = (
        f"Now {incident.status.label.lower()}."
        if moved or incident.status is target
        else (f"Someone moved it to {incident.status.label.lower()} meanwhile; nothing changed.")
    )
    return answer(entry, "incident", notice)


@bp.post("/entries/<id:entry_id>/responders")
@login_required
def join_incident(entry_id: int) -> Page:
    entry, incident = load_incident(entry_id, current_user)
    join(incident, current_user)
    db.session.commit()
    return answer(entry, "responders", "You are on it.")


@bp.get("/entries/<id:entry_id>/review")
@login_required
def show_review(entry_id: int) -> Page:
    entry, _ = load_incident(entry_id, current_user)
    if not is_fragment_request():
        return render_entry_page(entry)
    return render_template("incidents/_review.html", entry=entry, **incident_context(entry))
