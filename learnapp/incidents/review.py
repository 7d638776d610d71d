"""Review views: responder analyses, the review's notes and checklist, contributing factors."""

from __future__ import annotations

from flask import abort, request
from flask_login import current_user, login_required

from learnapp.extensions import db
from learnapp.incidents import bp
from learnapp.incidents.forms import AnalysisForm, FactorForm, ReviewNotesForm, StepForm
from learnapp.incidents.hints import blame_hints
from learnapp.incidents.models import Incident, IncidentStatus, ReviewStepName
from learnapp.incidents.queries import load_incident
from learnapp.incidents.sections import OPEN_FOR_REVIEW, Page, answer
from learnapp.incidents.views import load_workable
from learnapp.incidents.writing import add_factor, remove_factor, save_analysis, tick
from learnapp.models import Entry


def _require_open(incident: Incident, what: str) -> None:
    if incident.status not in OPEN_FOR_REVIEW:
        when = "once it is resolved" if incident.is_ongoing else "until it is published"
        abort(403, f"{what} can be written {when}.")


@bp.post("/entries/<id:entry_id>/analyses")
@login_required
def save_own_analysis(entry_id: int) -> Page:
    entry, incident = load_incident(entry_id, current_user)
    _require_open(incident, "Analyses")
    form = AnalysisForm()
    if not form.validate_on_submit():
        return answer(entry, "analyses", status=422, incident=incident, analysis_form=form)
    fields = {
        name: getattr(form, name).data or "" for name in ("saw_and_did", "surprised", "themes")
    }
    save_analysis(incident, current_user, **fields)
    db.session.commit()
    hints = blame_hints(*fields.values())
    response = answer(entry, "analyses", "Your analysis is saved.", hints=hints, stay=bool(hints))
    return _triggering(response, "analysis-saved")


def _triggering(response: Page, event: str) -> Page:
    """Tell the review section (which lists who wrote an analysis) to refresh itself."""
    if isinstance(response, tuple) and isinstance(response[0], str):
        return response[0], response[1], {"HX-Trigger": event}  # type: ignore[return-value]
    return response


def _reviewable(entry_id: int) -> tuple[Entry, Incident]:
    entry, incident = load_workable(entry_id)
    _require_open(incident, "The review")
    return entry, incident


@bp.post("/entries/<id:entry_id>/review")
@login_required
def save_review_notes(entry_id: int) -> Page:
    entry, incident = _reviewable(entry_id)
    form = ReviewNotesForm()
    if not form.validate_on_submit():
        return answer(entry, "review", status=422, incident=incident, notes_form=form)
    # Each step's form sends its own field: leave the other as it is.
    for name in ("summary", "learnings"):
        if name in request.form:
            setattr(incident, name, getattr(form, name).data or "")
    db.session.commit()
    return answer(entry, "review", "Review notes saved.")


@bp.post("/entries/<id:entry_id>/review/steps")
@login_required
def tick_review_step(entry_id: int) -> Page:
    entry, incident = _reviewable(entry_id)
    form = StepForm()
    if not form.validate_on_submit():
        abort(400, "Tick one of the review's steps.")
    if incident.status is not IncidentStatus.IN_REVIEW:
        abort(403, "Start the review before ticking its steps.")
    step, done = ReviewStepName(form.step.data), form.done.data == "1"
    tick(incident, step, done, current_user)
    db.session.commit()
    return answer(
        entry, "review", f"{'Done' if done else 'Not done'}: {step.label}.", focus_step=step
    )


@bp.post("/entries/<id:entry_id>/factors")
@login_required
def add_contributing_factor(entry_id: int) -> Page:
    entry, incident = _reviewable(entry_id)
    form = FactorForm()
    if not form.validate_on_submit():
        return answer(entry, "review", status=422, incident=incident, factor_form=form)
    category, name = form.category_and_name()
    add_factor(entry, category, name, form.note.data or "")
    db.session.commit()
    return answer(entry, "review", f"Contributing factor added: {name}.", focus_factor=True)


@bp.post("/entries/<id:entry_id>/factors/<id:factor_id>/delete")
@login_required
def remove_contributing_factor(entry_id: int, factor_id: int) -> Page:
    entry, _ = _reviewable(entry_id)
    if not remove_factor(entry, factor_id):
        abort(404)
    db.session.commit()
    return answer(entry, "review", "Contributing factor removed.")
