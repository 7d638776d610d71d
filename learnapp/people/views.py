"""A person's lesson history (``/people/<id>``, ``/me``): entries by month, improvements."""

from __future__ import annotations

from flask import abort, current_app, render_template, request
from flask_login import current_user, login_required

from learnapp.entries.forms import FeedFilterForm
from learnapp.entries.queries import MAX_ID, Cursor
from learnapp.extensions import db
from learnapp.forms import line_field
from learnapp.htmx import is_fragment_request
from learnapp.models import User
from learnapp.people import bp
from learnapp.people.queries import history_page, owned_improvements, person_figures


class HistoryFilterForm(FeedFilterForm):
    """The history's GET filters: the feed's kind and tag (one person has no team filter),
    and words."""

    team = None
    q = line_field("Words", 100)


@bp.get("/people/<int:person_id>")
@login_required
def history(person_id: int) -> tuple[str, int]:
    person = db.session.get(User, person_id) if 0 < person_id <= MAX_ID else None
    if person is None:
        abort(404)
    return _render_history(person)


@bp.get("/me")
@login_required
def my_history() -> tuple[str, int]:
    return _render_history(current_user)


def _render_history(person: User) -> tuple[str, int]:
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
    context.update(
        figures=person_figures(person, current_user),
        open_improvements=owned_improvements(person, current_user, open_=True),
        done_improvements=owned_improvements(person, current_user, open_=False),
    )
    return render_template("people/history.html", **context), 200 if valid else 422
