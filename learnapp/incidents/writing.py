"""Writing incidents: declare, promote, move along the flow, the timeline, responders,
analyses, the review record, contributing factors, the narrative and publishing."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from learnapp.extensions import db
from learnapp.idempotency import new_key
from learnapp.incidents.models import (
    Analysis,
    Incident,
    IncidentStatus,
    IncidentStatusChange,
    Responder,
    ReviewStep,
    ReviewStepName,
    TimelineEvent,
)
from learnapp.models import ContributingFactor, Entry, FactorCategory, Kind, User, utcnow
from learnapp.transitions import move_if_still

# The flow, with the way back while it is still being fixed. Publishing has its own route.
MOVES = {
    IncidentStatus.ONGOING: [IncidentStatus.RESOLVED],
    IncidentStatus.RESOLVED: [IncidentStatus.IN_REVIEW, IncidentStatus.ONGOING],
    IncidentStatus.IN_REVIEW: [IncidentStatus.PUBLISHED],
    IncidentStatus.PUBLISHED: [],
}
MOVE_LABELS = {
    IncidentStatus.RESOLVED: "Mark resolved",
    IncidentStatus.ONGOING: "Reopen: it is not fixed",
    IncidentStatus.IN_REVIEW: "Start the review",
}


def declare(entry: Entry, by: User, **fields: Any) -> Incident:
    """Give ``entry`` its incident record, ongoing, with the first line of its history."""
    entry.kind = Kind.INCIDENT
    incident = Incident(entry=entry, status=IncidentStatus.ONGOING, **fields)
    db.session.add(incident)
    db.session.add(
        IncidentStatusChange(
            incident=incident, from_status=None, to_status=IncidentStatus.ONGOING, changed_by=by
        )
    )
    db.session.add(Responder(incident=incident, user=by))
    return incident


def move(
    incident: Incident, target: IncidentStatus, expected: IncidentStatus, by: User, **values: Any
) -> bool:
    """Move ``incident`` from ``expected`` to ``target``; False if it had moved meanwhile.

    The update is conditional on the status still being ``expected``, so a double click
    or two people at once record one change.
    """
    now = utcnow()
    values = {"status": target, "updated_at": now, **values}
    if target is IncidentStatus.ONGOING:
        values["resolved_at"] = None
    if target is IncidentStatus.PUBLISHED:
        values.update(published_at=now, published_by_id=by.id)
    history = IncidentStatusChange(
        incident_id=incident.id,
        from_status=expected,
        to_status=target,
        changed_by=by,
        changed_at=now,
    )
    return move_if_still(incident, expected, values, history)


def join(incident: Incident, user: User) -> bool:
    """Add ``user`` to the responders unless already there; whether they were added."""
    exists_already = db.session.scalar(
        select(Responder.id).where(
            Responder.incident_id == incident.id, Responder.user_id == user.id
        )
    )
    if exists_already:
        return False
    try:
        with db.session.begin_nested():
            db.session.add(Responder(incident_id=incident.id, user_id=user.id))
    except IntegrityError:
        return False  # joined at the same moment from another tab
    return True


def add_event(
    incident: Incident, author: User, occurred_at: datetime, text: str, key: str = ""
) -> TimelineEvent:
    """A new key event on the timeline; its author becomes a responder."""
    event = TimelineEvent(
        incident_id=incident.id,
        author=author,
        occurred_at=occurred_at,
        text=text,
        idempotency_key=key or new_key(),
    )
    db.session.add(event)
    join(incident, author)
    return event


def delete_event(event: TimelineEvent) -> None:
    db.session.execute(delete(TimelineEvent).where(TimelineEvent.id == event.id))


def save_analysis(incident: Incident, author: User, **fields: str) -> Analysis:
    """Create or update ``author``'s own analysis (one per person per incident)."""
    analysis = db.session.scalar(
        select(Analysis).where(Analysis.incident_id == incident.id, Analysis.author_id == author.id)
    )
    if analysis is None:
        analysis = Analysis(incident_id=incident.id, author=author)
        try:
            with db.session.begin_nested():
                db.session.add(analysis)
        except IntegrityError:
            # A second tab saved first: update that one.
            analysis = db.session.scalars(
                select(Analysis).where(
                    Analysis.incident_id == incident.id, Analysis.author_id == author.id
                )
            ).one()
    for name, value in fields.items():
        setattr(analysis, name, value)
    join(incident, author)
    return analysis


def tick(incident: Incident, step: ReviewStepName, done: bool, by: User) -> None:
    """Record a review step as done (by whom, when) or take the tick back."""
    found = db.session.scalar(
        select(ReviewStep).where(ReviewStep.incident_id == incident.id, ReviewStep.step == step)
    )
    if done and found is None:
        try:
            with db.session.begin_nested():
                db.session.add(ReviewStep(incident_id=incident.id, step=step, ticked_by=by))
        except IntegrityError:
            pass  # ticked at the same moment by someone else: it is done either way
    elif not done and found is not None:
        db.session.delete(found)


def add_factor(entry: Entry, category: FactorCategory, name: str, note: str) -> ContributingFactor:
    factor = ContributingFactor(entry_id=entry.id, category=category, factor=name, note=note)
    db.session.add(factor)
    return factor


def remove_factor(entry: Entry, factor_id: int) -> bool:
    """Delete one of ``entry``'s factors; False when it is not (or no longer) there."""
    result = db.session.execute(
        delete(ContributingFactor).where(
            ContributingFactor.id == factor_id, ContributingFactor.entry_id == entry.id
        )
    )
    return result.rowcount == 1
