"""The demo organisation shows incidents at every stage and one published narrative."""

from __future__ import annotations

from sqlalchemy import select

from learnapp import demo
from learnapp.extensions import db
from learnapp.incidents.models import Incident, IncidentStatus
from learnapp.models import Entry, Kind, User


def test_demo_incidents_cover_every_stage_and_their_pages_render(app, client):
    demo.seed()
    incidents = db.session.scalars(select(Incident)).all()
    incident_entries = db.session.scalars(select(Entry).where(Entry.kind == Kind.INCIDENT)).all()
    assert len(incidents) == len(incident_entries) > 0
    assert {i.status for i in incidents} == set(IncidentStatus)
    assert all(i.events for i in incidents)

    ada = db.session.scalar(select(User).where(User.email == demo.DEMO_EMAIL))
    browser = client.login_as(ada)
    for found in incidents:
        assert browser.get(f"/entries/{found.entry_id}").status_code in (200, 404)
    assert "narrative" in browser.get("/incidents").text
    published = [i for i in incidents if i.status is IncidentStatus.PUBLISHED]
    assert browser.get(f"/narratives/{published[0].entry_id}").status_code == 200
    assert browser.get("/narratives.atom").status_code == 200
