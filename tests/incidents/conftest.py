"""People around one team incident, and incidents made directly in the database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from learnapp.extensions import db
from learnapp.incidents.models import Incident, IncidentStatus, IncidentStatusChange
from learnapp.incidents.writing import declare, join
from learnapp.models import Entry, Kind, Role, User, utcnow


@pytest.fixture
def people(make_user: Any) -> dict[str, User]:
    """Everyone whose rights differ around an incident declared by "author" in platform."""
    return {
        "author": make_user("Author"),
        "responder": make_user("Responder"),
        "lead": make_user("Lead", role=Role.LEAD),
        "teammate": make_user("Teammate"),
        "other_team": make_user("Other", team="payments"),
        "admin": make_user("Admin", team="payments", admin=True),
    }


@pytest.fixture
def make_incident(app: Any, make_entry: Any) -> Any:
    """An incident entry with the given status and times; "responders" join it."""

    def make(
        author: User,
        status: IncidentStatus = IncidentStatus.ONGOING,
        started_at: datetime | None = None,
        responders: tuple[User, ...] = (),
        **entry_fields: Any,
    ) -> Entry:
        started_at = started_at or datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
        entry = make_entry(author, kind=Kind.INCIDENT, **entry_fields)
        incident = declare(
            entry,
            author,
            severity=2,
            started_at=started_at,
            detected_at=started_at + timedelta(minutes=5),
            impact="Checkout failed for most customers",
        )
        if status is not IncidentStatus.ONGOING:
            incident.resolved_at = started_at + timedelta(minutes=50)
        if status is IncidentStatus.PUBLISHED:
            incident.narrative = "## Summary\n\nA config push broke checkout."
            incident.published_at, incident.published_by = utcnow(), author
        incident.status = status
        db.session.flush()
        for person in responders:
            join(incident, person)
        db.session.commit()
        return entry

    return make


@pytest.fixture
def incident_entry(make_incident: Any, people: dict[str, User]) -> Entry:
    return make_incident(people["author"], title="Checkout down", responders=(people["responder"],))


def incident(entry: Entry) -> Incident:
    """The entry's incident, fresh from the database."""
    db.session.expire_all()
    return db.session.scalars(db.select(Incident).where(Incident.entry_id == entry.id)).one()


def events_of(entry: Entry) -> list[tuple[str, str]]:
    """(text, author) of each timeline event, in timeline order."""
    found = incident(entry)
    return [(e.text, e.author.display_name) for e in found.events]


def status_history(entry: Entry) -> list[tuple[str | None, str, str]]:
    db.session.expire_all()
    changes = db.session.scalars(
        db.select(IncidentStatusChange)
        .where(IncidentStatusChange.incident_id == incident(entry).id)
        .order_by(IncidentStatusChange.id)
    )
    return [
        (c.from_status and c.from_status.value, c.to_status.value, c.changed_by.display_name)
        for c in changes
    ]
