"""``GET /incidents``: incidents by status and severity, filterable, with durations."""

from __future__ import annotations

from flask import current_app, render_template, request
from flask_login import current_user, login_required

from learnapp.entries.queries import Cursor
from learnapp.htmx import is_fragment_request
from learnapp.incidents import bp
from learnapp.incidents.forms import IncidentFilterForm
from learnapp.incidents.queries import incidents_page
from learnapp.incidents.sections import Page
from learnapp.teams import team_choices


@bp.get("/incidents")
@login_required
def list_incidents() -> Page:
    form = IncidentFilterForm(formdata=request.args)
    form.team.choices = team_choices(none_label="All teams")
    valid = form.validate()
    cursor = Cursor.decode(request.args.get("cursor"))
    page = incidents_page(
        current_user,
        (cursor.created_at, cursor.id) if cursor else None,
        current_app.config["INCIDENT_PAGE_SIZE"],
        status=form.status.data if valid else "",
        severity=form.severity.data if valid else 0,
        team_id=form.team.data if valid else 0,
    )
    args = {k: v for k, v in request.args.items() if k != "cursor" and v}
    context = {"form": form, "page": page, "args": args}
    if cursor is not None and is_fragment_request():
        return render_template("incidents/_incidents_page.html", **context)
    return render_template("incidents/list.html", **context), 200 if valid else 422
