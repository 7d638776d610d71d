"""Admin views: every one requires an admin; each change is a POST with CSRF."""

from __future__ import annotations

import re

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response

from learnapp.admin import bp
from learnapp.auth.names import free_name
from learnapp.extensions import db
from learnapp.forms import line_field
from learnapp.models import Team, User
from learnapp.security import end_all_sessions


class TeamForm(FlaskForm):
    name = line_field("Team name", 80, required=True)


@bp.before_request
@login_required
def _require_admin() -> None:
    if not current_user.is_admin:
        abort(403, "Only admins can open the admin pages.")


def _load_other_user(user_id: int, refusal: str) -> User:
    """The user to change; 404 when unknown, 403 with ``refusal`` when it is yourself."""
    user = db.session.get(User, user_id) if 0 < user_id < 2**63 else None
    if user is None:
        abort(404)
    if user.id == current_user.id:
        abort(403, refusal)
    return user


def _saved(message: str) -> Response:
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("admin.admin_index"), 303)


def _render_index(team_form: TeamForm, status: int = 200) -> tuple[str, int]:
    users = db.session.scalars(
        select(User).order_by(User.display_name).options(selectinload(User.memberships))
    ).all()
    teams = db.session.scalars(
        select(Team).order_by(Team.name).options(selectinload(Team.memberships))
    ).all()
    html = render_template("admin/index.html", users=users, teams=teams, team_form=team_form)
    return html, status


@bp.get("/")
def admin_index() -> tuple[str, int]:
    return _render_index(TeamForm())


@bp.post("/users/<id:user_id>/active")
def toggle_active(user_id: int) -> Response:
    user = _load_other_user(user_id, "You cannot deactivate your own account.")
    if user.is_active_account:
        user.is_active_account = False
        end_all_sessions(user)  # signed-in copies of their cookies stop working now
        return _saved(f"{user.display_name} is deactivated.")
    # Someone active may have taken the name meanwhile: two active people never share one.
    old_name, user.display_name = user.display_name, free_name(user.display_name, user.id)
    user.is_active_account = True
    if user.display_name == old_name:
        return _saved(f"{old_name} is reactivated.")
    return _saved(
        f"{old_name} is reactivated as {user.display_name}: someone active has that name now."
    )


@bp.post("/users/<id:user_id>/admin")
def toggle_admin(user_id: int) -> Response:
    user = _load_other_user(user_id, "You cannot remove your own admin rights.")
    user.is_admin = not user.is_admin
    state = "now an admin" if user.is_admin else "no longer an admin"
    return _saved(f"{user.display_name} is {state}.")


@bp.post("/teams")
def create_team() -> Response | tuple[str, int]:
    form = TeamForm()
    if form.validate_on_submit():
        slug = re.sub(r"[^a-z0-9]+", "-", form.name.data.lower()).strip("-") or "team"
        db.session.add(Team(name=form.name.data, slug=slug))
        try:
            return _saved(f"Team {form.name.data} created.")
        except IntegrityError:
            db.session.rollback()
            form.name.errors.append("A team with this name exists already.")
    return _render_index(form, 422)
