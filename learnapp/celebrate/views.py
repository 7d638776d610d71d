"""Toggle a cheer on a done improvement, or thanks on an entry: one POST button each."""

from __future__ import annotations

from typing import TypeVar

from flask import abort, make_response, redirect, render_template, request
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm.interfaces import LoaderOption
from werkzeug.wrappers import Response

from learnapp.auth.views import safe_next
from learnapp.celebrate import bp
from learnapp.celebrate.counts import entry_thanks_options, improvement_cheer_options
from learnapp.celebrate.writing import set_cheer
from learnapp.entries.queries import load_visible_entry
from learnapp.extensions import db
from learnapp.htmx import is_fragment_request
from learnapp.improvements.models import Improvement, Status
from learnapp.improvements.queries import load_visible_improvement
from learnapp.models import Entry

Row = TypeVar("Row")


def wanted_state() -> bool:
    """The state the button asks for: "1" to cheer, "0" to take it back (else 400).

    The form says which, rather than "toggle", so a double click cannot undo itself.
    """
    value = request.form.get("on")
    if value not in ("0", "1"):
        abort(400, "The button did not say whether to give or take back the cheer.")
    return value == "1"


def _recounted(model: type[Row], row_id: int, options: list[LoaderOption]) -> Row:
    """``model`` ``row_id`` read again with its counts (the loaded copy has the old ones)."""
    return db.session.scalar(
        select(model)
        .where(model.id == row_id)  # type: ignore[attr-defined]
        .options(*options)
        .execution_options(populate_existing=True)
    )


def _answer(template: str, message: str, **context: object) -> Response:
    if not is_fragment_request():
        return redirect(safe_next(request.form.get("next")), 303)
    response = make_response(render_template(template, cheer_announce=message, **context))
    response.headers["HX-Trigger"] = "cheer-changed"
    return response


@bp.post("/entries/<id:entry_id>/thanks")
@login_required
def toggle_thanks(entry_id: int) -> Response:
    entry = load_visible_entry(entry_id, current_user)
    if entry.author_id == current_user.id:
        abort(403, "You cannot thank yourself, but thank you for sharing.")
    on = wanted_state()
    set_cheer(current_user.id, on, entry_id=entry.id)
    db.session.commit()
    entry = _recounted(Entry, entry_id, entry_thanks_options(current_user))
    message = "Thanks sent." if on else "Thanks taken back."
    return _answer("celebrate/_thanks_button.html", message, entry=entry)


@bp.post("/improvements/<id:improvement_id>/cheer")
@login_required
def toggle_cheer(improvement_id: int) -> Response:
    improvement = load_visible_improvement(improvement_id, current_user)
    on = wanted_state()
    if on and improvement.owner_id == current_user.id:
        abort(403, "You cannot cheer your own improvement; others will.")
    if on and improvement.status is not Status.DONE:
        abort(400, "Only a done improvement can be cheered.")
    set_cheer(current_user.id, on, improvement_id=improvement.id)
    db.session.commit()
    improvement = _recounted(Improvement, improvement_id, improvement_cheer_options(current_user))
    message = "Cheered." if on else "Cheer taken back."
    return _answer("celebrate/_cheer_button.html", message, improvement=improvement)
