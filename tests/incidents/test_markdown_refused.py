"""Markdown the renderer cannot show is refused on every form that takes Markdown: the form
comes back with 422, a message that names the problem, and the writer's text."""

from __future__ import annotations

from html import escape

import pytest

from learnapp.extensions import db
from learnapp.improvements.writing import propose
from learnapp.incidents.models import IncidentStatus
from learnapp.markdown import TOO_DEEP

DEEP = "* " * 30 + "kept words"
IMPROVEMENT = {"title": "Purge the CDN", "type": "code", "priority": "2"}
INCIDENT = {
    "title": "Checkout down",
    "kind": "incident",
    "visibility": "org",
    "incident-severity": "1",
    "incident-started_at": "2026-11-20T14:02",
    "incident-detected_at": "2026-11-20T14:05",
}


def _improvement(entry, person):
    improvement = propose(entry, person, title="Purge the CDN", owner=person)
    db.session.commit()
    return f"/improvements/{improvement.id}/edit"


# (surface, the incident's status, the URL from the entry and its author, the form's fields)
SURFACES = [
    ("new entry", None, lambda e, p: "/entries", {"title": "Hi", "what_happened": DEEP}),
    ("entry edit", None, lambda e, p: f"/entries/{e.id}/edit",
     {"title": "Hi", "what_we_learned": DEEP}),
    ("incident impact", None, lambda e, p: "/entries", {**INCIDENT, "incident-impact": DEEP}),
    ("improvement details", None, lambda e, p: f"/entries/{e.id}/improvements",
     {**IMPROVEMENT, "details": DEEP}),
    ("improvement edit", None, _improvement, {**IMPROVEMENT, "details": DEEP}),
    ("analysis", IncidentStatus.RESOLVED, lambda e, p: f"/entries/{e.id}/analyses",
     {"saw_and_did": DEEP}),
    ("review notes", IncidentStatus.IN_REVIEW, lambda e, p: f"/entries/{e.id}/review",
     {"summary": DEEP}),
    ("narrative", IncidentStatus.IN_REVIEW, lambda e, p: f"/entries/{e.id}/narrative",
     {"draft": DEEP, "action": "save"}),
    ("narrative preview", IncidentStatus.IN_REVIEW, lambda e, p: f"/entries/{e.id}/narrative",
     {"draft": DEEP, "action": "preview"}),
]  # fmt: skip


@pytest.mark.parametrize("htmx", [False, True])
@pytest.mark.parametrize(
    ("status", "url_for", "data"), [s[1:] for s in SURFACES], ids=[s[0] for s in SURFACES]
)
def test_markdown_too_deep_to_show_comes_back_with_its_text_and_422(
    client, people, make_incident, status, url_for, data, htmx
):
    author = people["author"]
    entry = make_incident(author, status=status or IncidentStatus.ONGOING, responders=(author,))
    if "owner" not in data and "type" in data:
        data = {**data, "owner": str(author.id)}
    response = client.login_as(author).post(url_for(entry, author), data, htmx=htmx)
    assert response.status_code == 422
    assert escape(TOO_DEEP) in response.text
    assert DEEP in response.text
