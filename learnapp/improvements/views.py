"""Improvement views: propose from an entry, the improvement page, edit, move, no change."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from learnapp.auth.views import safe_next
from learnapp.entries.page import render_entry_page
from learnapp.entries.queries import load_visible_entry
from learnapp.extensions import db
from learnapp.htmx import is_fragment_request
from learnapp.idempotency import create_once
from learnapp.improvements import bp
from learnapp.improvements.forms import (
    ImprovementForm,
    NewImprovementForm,
    NoChangeForm,
    StatusForm,
    is_link,
)
from learnapp.improvements.models import Improvement, Status
from learnapp.improvements.queries import (
    can_handle_entry,
    can_move,
    load_visible_improvement,
    possible_owners,
    who_can_move,
)
from learnapp.improvements.section import section_context
from learnapp.improvements.writing import (
    MOVE_LABELS,
    REOPEN,
    clear_no_change,
    mark_no_change,
    move,
    propose,
    reopen_target,
    targets_from,
)
from learnapp.models import Entry
from learnapp.visibility import hides

Page = str | Response | tuple[str, int]


def _section(entry: Entry, status: int = 200, **context: Any) -> Page:
    """The improvements section for htmx; else the whole entry page around it."""
    if not is_fragment_request():
        return render_entry_page(entry, status, improvements=context)
    context = section_context(entry, **context)
    return render_template("improvements/_section.html", **context), status


@bp.post("/entries/<id:entry_id>/improvements")
@login_required
def add_improvement(entry_id: int) -> Page:
    entry = load_visible_entry(entry_id, current_user)
    form = NewImprovementForm(possible_owners(entry))
    if not form.validate_on_submit():
        return _section(entry, 422, form=form)
    improvement, _ = create_once(
        Improvement,
        Improvement.created_by_id,
        current_user.id,
        form.idempotency_key.data,
        lambda key: propose(entry, current_user, key, **form.values()),
    )
    if not is_fragment_request():
        flash(f"Improvement added: {improvement.title}", "success")
        return redirect(url_for("entries.show_entry", entry_id=entry.id) + "#improvements", 303)
    return _section(entry, announce=f"Improvement added: {improvement.title}")


@bp.get("/improvements/<id:improvement_id>")
@login_required
def show_improvement(improvement_id: int) -> Page:
    improvement = load_visible_improvement(improvement_id, current_user)
    return render_template("improvements/show.html", improvement=improvement)


@bp.route("/improvements/<id:improvement_id>/edit", methods=["GET", "POST"])
@login_required
def edit_improvement(improvement_id: int) -> Page:
    improvement = _load_movable(improvement_id)
    unnamed = hides(improvement.entry, improvement.owner_id, current_user.id)
    form = ImprovementForm(
        possible_owners(improvement.entry),
        unnamed_owner=improvement.owner_id if unnamed else None,
    )
    if request.method == "GET":
        form.fill_from(improvement)
    elif form.validate_on_submit():
        for name, value in form.values().items():
            setattr(improvement, name, value)
        db.session.commit()
        flash("Changes saved.", "success")
        target = url_for("improvements.show_improvement", improvement_id=improvement.id)
        return redirect(target, 303)
    status = 422 if form.is_submitted() else 200
    return render_template("improvements/edit.html", improvement=improvement, form=form), status


def _load_movable(improvement_id: int) -> Improvement:
    improvement = load_visible_improvement(improvement_id, current_user)
    if not can_move(improvement, current_user):
        abort(403, who_can_move(improvement, current_user))
    return improvement


@bp.post("/improvements/<id:improvement_id>/status")
@login_required
def change_status(improvement_id: int) -> Page:
    improvement = _load_movable(improvement_id)
    form = StatusForm()
    if not form.validate_on_submit():
        return _item(improvement, 422, status_form=form)
    expected = Status(form.expected.data)
    if form.to.data == REOPEN:
        if expected.is_open:
            abort(400, "Only a done or dropped improvement can be reopened.")
        target = reopen_target(improvement, expected)
    else:
        target = Status(form.to.data)
        if target not in targets_from(expected):
            abort(400, f"An improvement cannot move from {expected.label} to {target.label}.")
    result = move(improvement, target, expected, current_user, form.reason.data or "")
    db.session.commit()
    improvement = load_visible_improvement(improvement_id, current_user)
    if result.moved or result.already:
        notice = f"Moved to {improvement.status.label}."
    else:
        notice = f"Someone moved it to {improvement.status.label} meanwhile; nothing changed."
    return _item(improvement, notice=notice)


def _item(improvement: Improvement, status: int = 200, **context: Any) -> Page:
    """Answer a move: the item for htmx, else back to the page the form was on."""
    notice = context.get("notice", "")
    if is_fragment_request():
        on_entry_page = urlsplit(request.headers.get("HX-Current-URL", "")).path == url_for(
            "entries.show_entry", entry_id=improvement.entry_id
        )
        response = make_response(
            render_template(
                "improvements/_item_moved.html",
                improvement=improvement,
                on_entry_page=on_entry_page,
                **context,
            ),
            status,
        )
        response.headers["HX-Trigger"] = "improvement-moved"
        return response
    if status != 200:
        return render_template("improvements/show.html", improvement=improvement, **context), status
    flash(notice, "success")
    anchor = f"#improvement-{improvement.id}"
    return redirect(safe_next(request.form.get("next")).split("#")[0] + anchor, 303)


@bp.post("/entries/<id:entry_id>/no-change")
@login_required
def mark_entry_no_change(entry_id: int) -> Page:
    entry = _load_handleable(entry_id)
    form = NoChangeForm()
    if not form.validate_on_submit():
        return _section(entry, 422, no_change_form=form)
    mark_no_change(entry, current_user, form.reason.data)
    db.session.commit()
    return _section_saved(entry, "Marked: no change needed.")


@bp.post("/entries/<id:entry_id>/no-change/clear")
@login_required
def clear_entry_no_change(entry_id: int) -> Page:
    entry = _load_handleable(entry_id)
    clear_no_change(entry)
    db.session.commit()
    return _section_saved(entry, "No longer marked as needing no change.")


def _load_handleable(entry_id: int) -> Entry:
    entry = load_visible_entry(entry_id, current_user)
    if not can_handle_entry(entry, current_user):
        abort(403, "Only the entry's author, a lead of its team or an admin can mark this.")
    return entry


def _section_saved(entry: Entry, message: str) -> Page:
    if not is_fragment_request():
        flash(message, "success")
        return redirect(url_for("entries.show_entry", entry_id=entry.id) + "#improvements", 303)
    return _section(entry, announce=message)


# Templates show each button by the same rule the views enforce.
for helper in (can_move, can_handle_entry, who_can_move, targets_from, is_link):
    bp.add_app_template_global(helper)
bp.add_app_template_global(MOVE_LABELS, "MOVE_LABELS")
