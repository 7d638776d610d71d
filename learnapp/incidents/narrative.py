"""The narrative: draft, preview and publish it; published narratives and their Atom feed."""

from __future__ import annotations

from flask import Response, abort, current_app, render_template, request
from flask_login import current_user, login_required

from learnapp.entries.queries import Cursor
from learnapp.extensions import db
from learnapp.htmx import is_fragment_request
from learnapp.incidents import bp
from learnapp.incidents.feed import atom_feed
from learnapp.incidents.forms import NarrativeForm
from learnapp.incidents.hints import blame_hints
from learnapp.incidents.models import Incident, IncidentStatus
from learnapp.incidents.queries import (
    can_publish,
    load_published,
    narratives_page,
    viewer_sees_entry,
    who_can_publish,
)
from learnapp.incidents.sections import Page, answer, draft_for, incident_context
from learnapp.incidents.views import load_workable
from learnapp.incidents.writing import move
from learnapp.mail import external_url
from learnapp.markdown import render_stored
from learnapp.models import Entry, utcnow

FEED_SIZE = 50


@bp.post("/entries/<id:entry_id>/narrative")
@login_required
def save_narrative(entry_id: int) -> Page:
    entry, incident = load_workable(entry_id)
    if incident.status is not IncidentStatus.IN_REVIEW:
        abort(403, "The narrative is written during the review, before it is published.")
    form = NarrativeForm()
    if not form.validate_on_submit():
        return answer(entry, "narrative", status=422, incident=incident, narrative_form=form)
    if form.action.data != "save":
        return _unsaved(entry, incident, form)
    incident.narrative = form.draft.data or ""
    db.session.commit()
    hints = blame_hints(incident.narrative)
    return answer(entry, "narrative", "Narrative saved.", stay=bool(hints), hints=hints)


def _unsaved(entry: Entry, incident: Incident, form: NarrativeForm) -> Page:
    """Preview the text, or replace it with a fresh draft; neither saves anything."""
    if form.action.data == "assemble":
        form.draft.data = draft_for(entry, incident, incident_context(entry, incident=incident))
        message, extra = "Draft assembled from the review; not saved yet.", {}
    else:
        text = form.draft.data or ""
        message, extra = (
            "Preview below; not saved yet.",
            {"preview": render_stored(text), "hints": blame_hints(text)},
        )
    return answer(entry, "narrative", message, stay=True, narrative_form=form, **extra)


@bp.post("/entries/<id:entry_id>/publish")
@login_required
def publish_narrative(entry_id: int) -> Page:
    entry, incident = load_workable(entry_id)
    if not can_publish(entry, current_user):
        abort(403, who_can_publish(entry))
    if incident.is_published:
        return answer(entry, "incident", "Already published.")
    if incident.status is not IncidentStatus.IN_REVIEW or not incident.narrative.strip():
        abort(400, "Save a narrative during the review before publishing it.")
    move(incident, IncidentStatus.PUBLISHED, IncidentStatus.IN_REVIEW, current_user)
    db.session.commit()
    return answer(entry, "incident", "Published: the whole organisation can read the narrative.")


@bp.get("/narratives")
@login_required
def list_narratives() -> Page:
    cursor = Cursor.decode(request.args.get("cursor"))
    after = (cursor.created_at, cursor.id) if cursor else None
    page = narratives_page(after, current_app.config["INCIDENT_PAGE_SIZE"])
    if cursor is not None and is_fragment_request():
        return render_template("incidents/_narratives_page.html", page=page)
    return render_template("incidents/narratives.html", page=page)


@bp.get("/narratives/<id:entry_id>")
@login_required
def show_narrative(entry_id: int) -> Page:
    incident = load_published(entry_id)
    can_open = viewer_sees_entry(incident.entry, current_user)
    return render_template(
        "incidents/narrative.html", incident=incident, entry=incident.entry, can_open=can_open
    )


@bp.get("/narratives.atom")
@login_required
def narratives_feed() -> Response:
    incidents = narratives_page(None, FEED_SIZE).incidents
    xml = atom_feed(
        incidents,
        org_name=current_app.config["ORG_NAME"],
        self_url=external_url("incidents.narratives_feed"),
        page_url=external_url("incidents.list_narratives"),
        link_for=lambda i: external_url("incidents.show_narrative", entry_id=i.entry_id),
        now=utcnow(),
    )
    return Response(xml, mimetype="application/atom+xml")
