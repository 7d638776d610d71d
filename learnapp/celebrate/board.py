"""The celebration board: improvements done in the period, people thanked, figures, trend."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import abort, current_app, render_template, request
from flask_login import current_user, login_required
from sqlalchemy import func, literal, select, tuple_
from sqlalchemy.orm import contains_eager, joinedload

from learnapp.celebrate import bp
from learnapp.celebrate.counts import improvement_cheer_options
from learnapp.celebrate.models import Cheer
from learnapp.celebrate.trend import HEIGHT, WIDTH, bars, trend_columns, week_bounds, weeks_from
from learnapp.entries.queries import visible_to
from learnapp.extensions import db
from learnapp.formatting import viewer_zone
from learnapp.htmx import is_fragment_request
from learnapp.improvements.figures import Period, compute_figures
from learnapp.improvements.models import Improvement, Status
from learnapp.models import Entry, User, utcnow
from learnapp.parsing import encode_instant, parse_keyset

PERIODS = {"week": "This week", "month": "This month", "all": "All time"}


def period_of(kind: str, now: datetime) -> Period:
    """This ISO week or this calendar month in the viewer's timezone, or all time."""
    zone = viewer_zone()
    today = now.astimezone(zone).date()
    if kind == "week":
        first = today - timedelta(days=today.weekday())
        return Period.from_dates(first, first + timedelta(days=6), zone)
    if kind == "month":
        first = today.replace(day=1)
        following = (first + timedelta(days=32)).replace(day=1)
        return Period.from_dates(first, following - timedelta(days=1), zone)
    return Period(None, None)


@dataclass
class DonePage:
    improvements: list[Improvement]
    next_cursor: str | None


def done_in(viewer: User, period: Period, cursor: str | None, size: int) -> DonePage:
    """Improvements done in ``period`` the viewer may see, newest first, keyset-paged."""
    query = (
        select(Improvement)
        .join(Improvement.entry)
        .where(
            visible_to(viewer),
            Improvement.status == Status.DONE,
            period.contains(Improvement.done_at),
        )
        .options(
            contains_eager(Improvement.entry),
            joinedload(Improvement.owner),
            *improvement_cheer_options(viewer),
        )
    )
    after = parse_keyset(cursor)
    if after:
        bound = tuple_(literal(after[0], Improvement.done_at.type), literal(after[1]))
        query = query.where(tuple_(Improvement.done_at, Improvement.id) < bound)
    rows = list(
        db.session.scalars(
            query.order_by(Improvement.done_at.desc(), Improvement.id.desc()).limit(size + 1)
        )
    )
    last = rows[size - 1] if len(rows) > size else None
    cursor = f"{encode_instant(last.done_at)}-{last.id}" if last else None
    return DonePage(rows[:size], cursor)


@dataclass
class Thanked:
    name: str
    person_id: int
    thanks: int


def thanked_for_sharing(viewer: User, period: Period) -> list[Thanked]:
    """People thanked in ``period`` for entries the viewer can see, by name (never ranked).

    Anonymous entries stay anonymous: their thanks are not listed under anyone's name.
    """
    rows = db.session.execute(
        select(User.display_name, User.id, func.count(Cheer.id))
        .select_from(Cheer)
        .join(Entry, Cheer.entry_id == Entry.id)
        .join(User, Entry.author_id == User.id)
        .where(visible_to(viewer), Entry.anonymous.is_(False), period.contains(Cheer.created_at))
        .group_by(User.id, User.display_name)
        .order_by(User.display_name, User.id)
    ).all()
    return [Thanked(*row) for row in rows]


@bp.get("/celebrate")
@login_required
def board() -> tuple[str, int]:
    kind = request.args.get("period", "week")
    if kind not in PERIODS:
        abort(404)
    now = utcnow()
    period = period_of(kind, now)
    size = current_app.config["BACKLOG_PAGE_SIZE"]
    page = done_in(current_user, period, request.args.get("after"), size)
    context = {"kind": kind, "periods": PERIODS, "page": page}
    if request.args.get("after") and is_fragment_request():
        return render_template("celebrate/_done_page.html", **context), 200
    today = now.astimezone(viewer_zone()).date()
    mondays, bounds = week_bounds(today, viewer_zone())
    # The trend's counts travel with the figures' totals: one statement for both.
    figures = compute_figures(
        current_user, None, period, open_now=False, extra=trend_columns(current_user, bounds)
    )
    weeks = weeks_from(mondays, figures.extra)
    context.update(
        period=period,
        figures=figures,
        thanked=thanked_for_sharing(current_user, period),
        weeks=weeks,
        bars=bars(weeks),
        chart_size=(WIDTH, HEIGHT),
        today=today,
        first_day=_first_day(period),
    )
    template = "_board.html" if is_fragment_request() else "board.html"
    return render_template(f"celebrate/{template}", **context), 200


def _first_day(period: Period) -> date | None:
    return period.start.astimezone(viewer_zone()).date() if period.start else None
