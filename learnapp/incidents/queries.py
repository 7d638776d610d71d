"""Who may do what with an incident, loading one with everything its page shows, and the
keyset-paged lists of incidents and published narratives."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import abort
from sqlalchemy import Select, and_, exists, func, literal_column, or_, select, union_all
from sqlalchemy.orm import aliased, contains_eager, joinedload

from learnapp.entries.queries import load_visible_entry, visible_to
from learnapp.extensions import db
from learnapp.incidents.models import (
    Analysis,
    Incident,
    IncidentStatus,
    Responder,
    ReviewStep,
    ReviewStepName,
    TimelineEvent,
)
from learnapp.models import ContributingFactor, Entry, User
from learnapp.visibility import person_label


def load_incident(entry_id: int, viewer: User) -> tuple[Entry, Incident]:
    """The entry and its incident if ``viewer`` may see the entry; 404 otherwise."""
    entry = load_visible_entry(entry_id, viewer)
    incident = incident_of(entry)
    if incident is None:
        abort(404)
    return entry, incident


def incident_of(entry: Entry) -> Incident | None:
    """The incident record of ``entry`` (None for a lesson): ``load_visible_entry`` joins
    it; an entry loaded otherwise reads it on first use (the backref's lazy load)."""
    return entry.incident  # type: ignore[attr-defined]


def is_responder(incident: Incident, user: User) -> bool:
    return bool(
        db.session.scalar(
            select(
                exists().where(Responder.incident_id == incident.id, Responder.user_id == user.id)
            )
        )
    )


def can_publish(entry: Entry, user: User) -> bool:
    """The issue's rule: the incident's author, a lead of its team, or an admin."""
    return user.id == entry.author_id or user.is_lead_of(entry.team_id) or user.is_admin


def can_work_on(entry: Entry, user: User, responder: bool) -> bool:
    """Who may move the status and run the review: those who may publish, and responders."""
    return responder or can_publish(entry, user)


def who_can_publish(entry: Entry) -> str:
    """Say who may publish (never naming an anonymous entry's author)."""
    lead = f", a lead of {entry.team.name}" if entry.team else ""
    return f"Only the incident's author{lead} or an admin can publish its narrative."


def who_can_work_on(entry: Entry) -> str:
    lead = f", a lead of {entry.team.name}" if entry.team else ""
    return (
        f"Only the incident's author, its responders{lead} or an admin can change this. "
        "Join as a responder with \u201cI\u2019m on it\u201d."
    )


def who_can_edit_event(event: TimelineEvent, entry: Entry, viewer: User) -> str:
    name = person_label(entry, event.author, viewer)
    return f"Only the person who added this event ({name}) can change it."


@dataclass
class IncidentParts:
    """Everything an incident's sections show, loaded together by :func:`load_parts`."""

    events: list[TimelineEvent]
    responders: list[Responder]
    analyses: list[Analysis]
    steps: dict[ReviewStepName, ReviewStep]
    factors: list[ContributingFactor]


# The parts of an incident's page, in the order ``load_parts`` returns their rows.
EVENTS, RESPONDERS, ANALYSES, STEPS, FACTORS = range(5)


def parts_statement(incident: Incident) -> Select:
    """One statement for the timeline, responders, analyses, ticked steps and contributing
    factors of ``incident``, each row holding one of them (the others are None).

    A constant table of part numbers is outer-joined to each part's table on its number,
    so each list keeps its own index and order and the page needs one round trip, not
    five, whatever the lists' lengths. The people the rows name come from one join.
    """
    numbers = union_all(*(select(literal_column(str(n)).label("part")) for n in range(5)))
    part = numbers.subquery("parts").c.part
    person = aliased(User, name="person")
    return (
        select(part, TimelineEvent, Responder, Analysis, ReviewStep, ContributingFactor)
        .select_from(part.table)
        .outerjoin(TimelineEvent, and_(part == EVENTS, TimelineEvent.incident_id == incident.id))
        .outerjoin(Responder, and_(part == RESPONDERS, Responder.incident_id == incident.id))
        .outerjoin(Analysis, and_(part == ANALYSES, Analysis.incident_id == incident.id))
        .outerjoin(ReviewStep, and_(part == STEPS, ReviewStep.incident_id == incident.id))
        .outerjoin(
            ContributingFactor,
            and_(part == FACTORS, ContributingFactor.entry_id == incident.entry_id),
        )
        .outerjoin(
            person,
            person.id
            == func.coalesce(
                TimelineEvent.author_id,
                Responder.user_id,
                Analysis.author_id,
                ReviewStep.ticked_by_id,
            ),
        )
        .options(
            contains_eager(TimelineEvent.author.of_type(person)),
            contains_eager(Responder.user.of_type(person)),
            contains_eager(Analysis.author.of_type(person)),
            contains_eager(ReviewStep.ticked_by.of_type(person)),
        )
        # Within a part the other parts' columns are NULL, so each list keeps its order.
        .order_by(
            part,
            TimelineEvent.occurred_at,
            TimelineEvent.id,
            Responder.joined_at,
            Responder.id,
            Analysis.created_at,
            Analysis.id,
            ContributingFactor.id,
        )
    )


def load_parts(incident: Incident) -> IncidentParts:
    """The timeline, responders, analyses, ticked steps and factors of ``incident``, in
    one query."""
    parts = IncidentParts([], [], [], {}, [])
    for _, event, responder, analysis, step, factor in db.session.execute(
        parts_statement(incident)
    ):
        if event is not None:
            parts.events.append(event)
        elif responder is not None:
            parts.responders.append(responder)
        elif analysis is not None:
            parts.analyses.append(analysis)
        elif step is not None:
            parts.steps[step.step] = step
        elif factor is not None:
            parts.factors.append(factor)
    return parts


def spans_days(incident: Incident, events: list[TimelineEvent], zone: object) -> bool:
    """Whether the incident's times fall on more than one day where the reader is."""
    times = [incident.started_at, incident.detected_at, incident.resolved_at]
    times += [e.occurred_at for e in events]
    days = {t.astimezone(zone).date() for t in times if t is not None}  # type: ignore[arg-type]
    return len(days) > 1


# --- Lists ----------------------------------------------------------------------------------


@dataclass
class IncidentPage:
    incidents: list[Incident]
    next_key: tuple[datetime, int] | None


def _page(
    query: Select, column: object, after: tuple[datetime, int] | None, size: int
) -> IncidentPage:
    if after is not None:
        moment, ident = after
        query = query.where(or_(column < moment, and_(column == moment, Incident.id < ident)))  # type: ignore[operator]
    rows = list(
        db.session.scalars(query.order_by(column.desc(), Incident.id.desc()).limit(size + 1))
    )  # type: ignore[attr-defined]
    more = len(rows) > size
    rows = rows[:size]
    last = rows[-1] if more else None
    return IncidentPage(rows, (getattr(last, column.key), last.id) if last else None)  # type: ignore[attr-defined]


def incidents_page(
    viewer: User,
    after: tuple[datetime, int] | None,
    size: int,
    status: str = "",
    severity: int = 0,
    team_id: int = 0,
) -> IncidentPage:
    """Incidents whose entries ``viewer`` may see, latest start first, filtered."""
    query = (
        select(Incident)
        .join(Incident.entry)
        .where(visible_to(viewer))
        .options(contains_eager(Incident.entry).joinedload(Entry.team))
    )
    if status:
        query = query.where(Incident.status == IncidentStatus(status))
    if severity:
        query = query.where(Incident.severity == severity)
    if team_id:
        query = query.where(Entry.team_id == team_id)
    return _page(query, Incident.started_at, after, size)


def published_query() -> Select:
    """Published narratives of entries not deleted: readable by everyone signed in."""
    return (
        select(Incident)
        .join(Incident.entry)
        .where(Incident.status == IncidentStatus.PUBLISHED, Entry.deleted_at.is_(None))
        .options(
            contains_eager(Incident.entry).joinedload(Entry.team),
            contains_eager(Incident.entry).joinedload(Entry.author),
            joinedload(Incident.published_by),
        )
    )


def narratives_page(after: tuple[datetime, int] | None, size: int) -> IncidentPage:
    """Published narratives, latest first."""
    return _page(published_query(), Incident.published_at, after, size)


def load_published(entry_id: int) -> Incident:
    """A published narrative, whatever its entry's visibility; 404 if not published."""
    incident = db.session.scalar(published_query().where(Incident.entry_id == entry_id))
    if incident is None:
        abort(404)
    return incident


def viewer_sees_entry(entry: Entry, viewer: User) -> bool:
    """Whether ``viewer`` may open the entry behind a narrative."""
    return bool(db.session.scalar(select(exists().where(Entry.id == entry.id, visible_to(viewer)))))
