"""Entry views: the feed, quick entry, the entry page, edit, delete and restore."""

from __future__ import annotations

from flask import (
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from learnapp.database import reads_before_writing, reads_only, start_writing
from learnapp.entries import bp
from learnapp.entries.forms import (
    EntryForm,
    FeedFilterForm,
    NewEntryForm,
    entry_form_to_show_again,
    submitted_entry_form,
)
from learnapp.entries.page import render_entry_page
from learnapp.entries.queries import (
    Cursor,
    can_delete,
    can_edit,
    feed_page,
    load_visible_entry,
)
from learnapp.entries.writing import create_entry_once, restore, soft_delete
from learnapp.extensions import db
from learnapp.htmx import is_fragment_request, page_or_fragment
from learnapp.idempotency import new_key
from learnapp.teams import team_choices

Page = str | Response | tuple[str, int]
# Sent by a quick entry form that came back with errors (see _quick_entry.html).
FORM_SHOWS_ERRORS = "form_shows_errors"


def _feed_context() -> tuple[dict, int]:
    filters = FeedFilterForm(formdata=request.args)
    filters.team.choices = team_choices(none_label="All teams")
    valid = filters.validate()
    page = feed_page(
        current_user,
        Cursor.decode(request.args.get("cursor")),
        current_app.config["FEED_PAGE_SIZE"],
        kind=filters.kind.data if valid else "",
        team_id=filters.team.data if valid else 0,
        tag=filters.tag.data if valid else "",
    )
    context = {
        "filters": filters,
        "page": page,
        "filter_args": {k: v for k, v in request.args.items() if k != "cursor" and v},
        "form": NewEntryForm(current_user),
    }
    return context, 200 if valid else 422


@bp.get("/")
@login_required
def feed() -> Page:
    context, status = _feed_context()
    return page_or_fragment("entries/feed.html", "entries/_feed_page.html", status, **context)


@bp.post("/entries")
@reads_before_writing
@login_required
def create_entry() -> Page:
    form = submitted_entry_form(current_user)
    if not form.validate_on_submit():
        return _invalid_new_entry(form)
    # The answer shows what this request just wrote: no need to read it all back.
    db.session().expire_on_commit = False
    start_writing()
    entry = create_entry_once(form, current_user)
    # Committed: rendering the answer only reads, so it must not hold SQLite's write lock
    # (every other writer would queue behind this fragment).
    reads_only()
    if not is_fragment_request():
        flash("Saved. Thank you for sharing what you learned.", "success")
        return redirect(url_for("entries.feed"), 303)
    # The page's form resets itself on "entry-created" and takes the next key from the
    # answer; a form showing errors has the rejected text as its defaults, so it is
    # replaced by a blank one instead.
    blank_form = (
        NewEntryForm(current_user, formdata=None) if request.form.get(FORM_SHOWS_ERRORS) else None
    )
    response = make_response(
        render_template("entries/_created.html", entry=entry, form=blank_form, next_key=new_key())
    )
    response.headers["HX-Trigger"] = "entry-created"
    return response


def _invalid_new_entry(form: NewEntryForm) -> Page:
    form = entry_form_to_show_again(form, current_user)
    if not is_fragment_request():
        return render_template("entries/new.html", form=form), 422
    response = make_response(render_template("entries/_quick_entry.html", form=form), 422)
    # The form asked to add to the feed; its errors belong in the form itself.
    response.headers["HX-Retarget"] = "#quick-entry"
    response.headers["HX-Reswap"] = "outerHTML"
    return response


@bp.get("/entries/new")
@login_required
def new_entry() -> Page:
    form = NewEntryForm(current_user, formdata=None)
    if request.args.get("kind") == "incident":
        form.kind.data = "incident"
    return render_template("entries/new.html", form=form)


@bp.get("/entries/<id:entry_id>")
@login_required
def show_entry(entry_id: int) -> Page:
    entry = load_visible_entry(entry_id, current_user)
    if is_fragment_request():
        return render_template("entries/_entry_body.html", entry=entry)
    return render_entry_page(entry)


@bp.route("/entries/<id:entry_id>/edit", methods=["GET", "POST"])
@login_required
def edit_entry(entry_id: int) -> Page:
    entry = load_visible_entry(entry_id, current_user)
    if not can_edit(entry, current_user):
        abort(403, "Only the author can edit this entry.")
    form = EntryForm(current_user)
    if request.method == "GET":
        form.fill_from(entry)
    elif form.validate_on_submit():
        form.apply_to(entry)
        db.session.commit()
        if not is_fragment_request():
            flash("Changes saved.", "success")
            return redirect(url_for("entries.show_entry", entry_id=entry.id), 303)
        return render_template("entries/_entry_body.html", entry=entry, announce="Changes saved.")
    status = 422 if form.is_submitted() else 200
    return page_or_fragment(
        "entries/edit.html", "entries/_edit_form.html", status, entry=entry, form=form
    )


@bp.post("/entries/<id:entry_id>/delete")
@login_required
def delete_entry(entry_id: int) -> Page:
    entry = load_visible_entry(entry_id, current_user)
    if not can_delete(entry, current_user):
        abort(403, "Only the author or an admin can delete this entry.")
    soft_delete(entry)
    db.session.commit()
    if is_fragment_request():
        return render_template("entries/_deleted.html", entry=entry)
    flash(url_for("entries.restore_entry", entry_id=entry.id), "undo")
    return redirect(url_for("entries.feed"), 303)


@bp.post("/entries/<id:entry_id>/restore")
@login_required
def restore_entry(entry_id: int) -> Page:
    entry = load_visible_entry(entry_id, current_user, include_deleted=True)
    if not can_delete(entry, current_user):
        abort(403, "Only the author or an admin can restore this entry.")
    restore(entry)
    db.session.commit()
    if is_fragment_request():
        return render_template("entries/_entry_body.html", entry=entry, announce="Entry restored.")
    flash("Entry restored.", "success")
    return redirect(url_for("entries.show_entry", entry_id=entry.id), 303)


# Templates show the Edit and Delete buttons by the same rules the views enforce.
bp.add_app_template_global(can_edit, "can_edit")
bp.add_app_template_global(can_delete, "can_delete")
