"""A person's lesson history (``/people/<id>``, ``/me``): entries by month, improvements."""

from __future__ import annotations

from flask import abort, current_app, render_template, request
from flask_login import current_user, login_required

from learnapp.entries.forms import FeedFilterForm
from learnapp.entries.queries import Cursor
from learnapp.extensions import db
from learnapp.forms import line_field
from learnapp.htmx import is_fragment_request
from learnapp.models import User
from learnapp.people import bp
from learnapp.people.queries import (
    PersonFigures,
    history_page,
    owned_improvements,
    person_figures,
)


class HistoryFilterForm(FeedFilterForm):
    """The history's GET filters: the feed's kind and tag (one person has no team filter),
    and words."""

    team = None
    q = line_field("Words", 100)


@bp.get("/people/<id:person_id>")
@login_required
def history(person_id: int) -> tuple[str, int]:
    if is_fragment_request():  # a further page: no figures
        person, figures = db.session.get(User, person_id), None
    else:
        person, figures = person_figures(person_id, current_user)
    if person is None:
        abort(404)
    return _render_history(person, figures)


@bp.get("/me")
@login_required
def my_history() -> tuple[str, int]:
    figures = None if is_fragment_request() else person_figures(current_user.id, current_user)[1]
    return _render_history(current_user, figures)


def _render_history(person: User, figures: PersonFigures | None) -> tuple[str, int]:
    filters = HistoryFilterForm(formdata=request.args)
    valid = filters.validate()
    cursor = Cursor.decode(request.args.get("cursor"))
    page = history_page(
        person,
        current_user,
        cursor,
        current_app.config["FEED_PAGE_SIZE"],
        kind=filters.kind.data if valid else "",
        tag=filters.tag.data if valid else "",
        text=filters.q.data if valid else "",
    )
    context = {
        "person": person,
        "is_me": person.id == current_user.id,
        "page": page,
        "cursor": cursor,
        "filters": filters,
        "filter_args": {k: v for k, v in request.args.items() if k != "cursor" and v},
    }
    if is_fragment_request():
        return render_template("people/_history_page.html", **context), 200 if valid else 422
    open_improvements, done_improvements = owned_improvements(person, current_user)
    context.update(
        figures=figures,
        open_improvements=open_improvements,
        done_improvements=done_improvements,
    )
    return render_template("people/history.html", **context), 200 if valid else 422
