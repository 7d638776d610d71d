"""The organisation's improvement backlog: filters, sorts, figures and the CSV export."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

from flask import Response, current_app, render_template, request, stream_with_context
from flask_login import current_user, login_required
from sqlalchemy import Select

from learnapp.extensions import db
from learnapp.formatting import viewer_today, viewer_zone
from learnapp.htmx import is_fragment_request
from learnapp.improvements import bp
from learnapp.improvements.export import csv_lines
from learnapp.improvements.figures import Period, compute_figures
from learnapp.improvements.forms import BacklogFilterForm
from learnapp.improvements.models import Improvement
from learnapp.improvements.queries import (
    BacklogFilters,
    active_people,
    backlog_export_query,
    backlog_page,
    decode_key,
    encode_key,
)
from learnapp.mail import external_url
from learnapp.teams import team_choices

DEFAULT_PERIOD_DAYS = 90


def read_filters() -> tuple[BacklogFilterForm, BacklogFilters, Period, bool]:
    """The backlog's filters and period from the query string, and whether they were valid.

    With no period in the query, the last 90 days; an empty bound means unbounded.
    """
    form = BacklogFilterForm(active_people(), formdata=request.args)
    form.team.choices = team_choices(none_label="All teams")
    today = viewer_today()
    if "since" not in request.args and "until" not in request.args:
        form.since.data, form.until.data = today - timedelta(days=DEFAULT_PERIOD_DAYS - 1), today
    if not form.validate():
        return form, BacklogFilters(today=today), Period(None, None), False
    owner = form.owner.data
    filters = BacklogFilters(
        status=form.status.data,
        owner_id=current_user.id if owner == "me" else int(owner) if owner else None,
        team_id=form.team.data or None,
        type=form.type.data,
        overdue=form.overdue.data,
        sort=form.sort.data,
        today=today,
    )
    return form, filters, Period.from_dates(form.since.data, form.until.data, viewer_zone()), True


def query_args(form: BacklogFilterForm, **changes: object) -> dict[str, object]:
    """The form's current values as query arguments (for links that keep the filters)."""
    args: dict[str, object] = {}
    for field in form:
        value = field.data
        if isinstance(value, date):
            value = value.isoformat()
        if field.name in ("since", "until"):
            args[field.name] = value or ""
        elif value not in (None, "", 0, False):
            args[field.name] = "y" if value is True else value
    args.update(changes)
    return args


def period_presets(form: BacklogFilterForm) -> list[tuple[str, dict[str, object]]]:
    today = viewer_today()
    days = [("Last 30 days", 30), ("Last 90 days", 90), ("Last 365 days", 365)]
    presets = [
        (label, query_args(form, since=(today - timedelta(days=n - 1)).isoformat(), until=today))
        for label, n in days
    ]
    return [*presets, ("All time", query_args(form, since="", until=""))]


@bp.get("/improvements")
@login_required
def backlog() -> tuple[str, int]:
    form, filters, period, valid = read_filters()
    after = decode_key(request.args.get("after"), filters.sort)
    page = backlog_page(current_user, filters, after, current_app.config["BACKLOG_PAGE_SIZE"])
    context = {"form": form, "page": page, "args": query_args(form), "encode_key": encode_key}
    if after is not None and is_fragment_request():
        return render_template("improvements/_backlog_page.html", **context), 200
    context["figures"] = compute_figures(current_user, filters.team_id, period)
    context["presets"] = period_presets(form)
    template = "_backlog_results.html" if is_fragment_request() else "backlog.html"
    return render_template(f"improvements/{template}", **context), 200 if valid else 422


def _run_later(query: Select) -> Iterator[Improvement]:
    yield from db.session.scalars(query)


@bp.get("/improvements.csv")
@login_required
def export_csv() -> Response | tuple[str, int]:
    _, filters, _, valid = read_filters()
    if not valid:
        return backlog()
    # Built now, run while streaming: the request's session is gone by then, and the
    # query must not touch the signed-in user again.
    query = backlog_export_query(current_user, filters)

    def link_for(improvement: Improvement) -> str:
        return external_url("improvements.show_improvement", improvement_id=improvement.id)

    filename = f"improvements-{viewer_today().isoformat()}.csv"
    return Response(
        stream_with_context(csv_lines(_run_later(query), link_for, current_user.id)),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
