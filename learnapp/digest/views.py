"""The digest in the browser (``/digest``, ``/digest/<week>``) and unsubscribing from it."""

from __future__ import annotations

from flask import abort, render_template, request
from flask_login import current_user, login_required

from learnapp.digest import bp
from learnapp.digest.compose import compose_digest
from learnapp.digest.figures import figure_rows
from learnapp.digest.models import DigestDelivery  # noqa: F401  (the table registers)
from learnapp.digest.weeks import IsoWeek, org_zone
from learnapp.extensions import csrf, db
from learnapp.models import utcnow
from learnapp.tokens import user_from_unsubscribe_token


@bp.get("/digest")
@login_required
def preview_this_week() -> tuple[str, int]:
    return _preview(IsoWeek.containing(utcnow(), org_zone()))


@bp.get("/digest/<week>")
@login_required
def preview_week(week: str) -> tuple[str, int]:
    try:
        parsed = IsoWeek.parse(week)
    except ValueError:
        abort(
            404, f"There is no digest for {week}: name a week such as 2026-W03, from 2000 to 2100."
        )
    return _preview(parsed)


def _preview(week: IsoWeek) -> tuple[str, int]:
    current = IsoWeek.containing(utcnow(), org_zone())
    digest = compose_digest(current_user, week, org_zone())
    following = week.shifted(1)
    context = {
        "digest": digest,
        "previous_week": week.shifted(-1),
        "next_week": following if following <= current else None,
        "is_current": week == current,
        "figure_rows": figure_rows,
    }
    return render_template("digest/preview.html", **context), 200


# Exempt from CSRF on purpose: RFC 8058 one-click unsubscribes are POSTs that mail providers
# send without a session or a form token. The signed token in the URL is the authority.
@csrf.exempt
@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
def unsubscribe(token: str) -> tuple[str, int]:
    user = user_from_unsubscribe_token(token)
    if user is None:
        return render_template("digest/unsubscribe.html", invalid=True), 404
    if request.method == "GET":
        return render_template("digest/unsubscribe.html", user=user, token=token), 200
    user.digest_opt_in = False
    db.session.commit()
    return render_template("digest/unsubscribe.html", user=user, done=True), 200
