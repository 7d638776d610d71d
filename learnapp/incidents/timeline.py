"""Timeline views: add a key event inline, edit and delete your own."""

from __future__ import annotations

from flask import abort, render_template, request
from flask_login import current_user, login_required
from sqlalchemy import select

from learnapp.extensions import db
from learnapp.htmx import is_fragment_request
from learnapp.idempotency import create_once
from learnapp.incidents import bp
from learnapp.incidents.forms import EventForm, NewEventForm
from learnapp.incidents.models import Incident, TimelineEvent
from learnapp.incidents.queries import load_incident, who_can_edit_event
from learnapp.incidents.sections import Page, answer
from learnapp.incidents.writing import add_event, delete_event
from learnapp.models import Entry

CLOSED = "The timeline of a published incident is closed."


def _open_incident(entry_id: int) -> tuple[Entry, Incident]:
    entry, incident = load_incident(entry_id, current_user)
    if incident.is_published:
        abort(403, CLOSED)
    return entry, incident


@bp.post("/entries/<id:entry_id>/timeline")
@login_required
def add_timeline_event(entry_id: int) -> Page:
    entry, incident = _open_incident(entry_id)
    form = NewEventForm()
    if not form.validate_on_submit():
        return answer(entry, "timeline", status=422, incident=incident, event_form=form)
    values = {"occurred_at": form.occurred_at.data, "text": form.text.data}
    create_once(
        TimelineEvent,
        TimelineEvent.author_id,
        current_user.id,
        form.idempotency_key.data,
        lambda key: add_event(incident, current_user, key=key, **values),
    )
    return answer(entry, "timeline", "Event added.", focus_new_event=True)


def _own_event(entry_id: int, event_id: int) -> tuple[Entry, Incident, TimelineEvent]:
    entry, incident = _open_incident(entry_id)
    event = db.session.scalar(
        select(TimelineEvent).where(
            TimelineEvent.id == event_id, TimelineEvent.incident_id == incident.id
        )
    )
    if event is None:
        abort(404)
    if event.author_id != current_user.id:
        abort(403, who_can_edit_event(event, entry, current_user))
    return entry, incident, event


@bp.route("/entries/<id:entry_id>/timeline/<id:event_id>/edit", methods=["GET", "POST"])
@login_required
def edit_timeline_event(entry_id: int, event_id: int) -> Page:
    entry, incident, event = _own_event(entry_id, event_id)
    prefix = f"event-{event.id}"  # unique ids beside the other events' fields
    form = (
        EventForm(obj=event, prefix=prefix) if request.method == "GET" else EventForm(prefix=prefix)
    )
    if request.method == "POST" and form.validate_on_submit():
        event.occurred_at, event.text = form.occurred_at.data, form.text.data
        db.session.commit()
        return answer(entry, "timeline", "Event saved.")
    status = 422 if form.is_submitted() else 200
    template = (
        "incidents/_event_form.html" if is_fragment_request() else "incidents/edit_event.html"
    )
    context = {"entry": entry, "incident": incident, "event": event, "form": form}
    # The form posts to the whole timeline; its errors belong in the line itself.
    headers = {"HX-Retarget": f"#{prefix}", "HX-Reswap": "outerHTML"} if status == 422 else {}
    return render_template(template, **context), status, headers


@bp.post("/entries/<id:entry_id>/timeline/<id:event_id>/delete")
@login_required
def delete_timeline_event(entry_id: int, event_id: int) -> Page:
    entry, _, event = _own_event(entry_id, event_id)
    delete_event(event)
    db.session.commit()
    return answer(entry, "timeline", "Event deleted.")
