"""Every route of the URL map, walked by every kind of viewer with the ids of hidden objects.

The world: "Author" (team platform) wrote three incident entries: a private one, a team-only
one (anonymous too) and an org-wide one. Each has an improvement, a cheer, a thanks, a
timeline event, the author's analysis and a contributing factor. The routes get the ids of
the private and the team-only objects substituted into their URL.

What each viewer may do with those objects:

- ``signed_out``: nothing. Every non-public route sends them to the login page: a 303 to
  /login, or for htmx an ``HX-Redirect`` to /login.
- ``other_team`` (a member of payments) and ``admin`` (an admin in payments): they cannot read
  either object, so every route about them answers 404 and stores nothing. Lists never show
  them. Only the admin may open /admin (the others get 403).
- ``teammate`` (platform): may read the team-only entry but not the private one (404). On the
  team-only entry, author-only actions (edit, delete, restore) answer 403; the other actions
  are allowed or refused with 403, and a refusal stores nothing.
- ``author``: may do everything with their own objects; only "not a 5xx" is asserted there.

A team's members routes are about the author's team (platform): only an admin or a lead of
that team may use them (403 otherwise); tests/test_members.py has the full table.

Whatever the rule, a 4xx answer never changes the database: every table's row count and a
checksum of its rows are compared before and after.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import inspect, text

from learnapp import create_app
from learnapp.celebrate.writing import set_cheer
from learnapp.digest.weeks import IsoWeek
from learnapp.extensions import db
from learnapp.improvements.writing import propose
from learnapp.incidents.forms import FACTOR_CHOICES
from learnapp.incidents.writing import add_event, add_factor, declare, save_analysis
from learnapp.models import FactorCategory, Role, Visibility, utcnow

# Routes anyone may open signed out, each with the reason. Nothing else may be public.
PUBLIC = {
    "static": "CSS, JavaScript and images",
    "health.healthz": "the load balancer's health check",
    "auth.login": "signing in",
    "auth.register": "making an account",
    "auth.forgot_password": "asking for a reset link (the same answer for any address)",
    "auth.reset_password": "the emailed reset link: the signed token is the credential",
    "auth.accept_invitation": "the emailed invitation: the signed token is the credential",
    "auth.signin_with_link": "the emailed one-time sign-in link: the signed token is the key",
    "digest.unsubscribe": "the digest's one-click unsubscribe: the signed token is the credential",
}

# What a signed-in route is about, which decides who may use it:
# LIST: no object of its own (lists, own pages, creating); any signed-in user; must not leak.
# ADMIN: the admin pages; admins only (403 otherwise).
# TEAM: a team's members page and its changes; an admin or a lead of the team (403 otherwise).
# READER: an action on an entry or its parts, for anyone who can read the entry.
# AUTHOR: an action only the entry's author may take (readers get 403).
LIST, ADMIN, TEAM, READER, AUTHOR = "list", "admin", "team", "reader", "author"
RULES = {
    "entries.feed": LIST,
    "entries.new_entry": LIST,
    "entries.create_entry": LIST,
    "entries.show_entry": READER,
    "entries.edit_entry": AUTHOR,
    "entries.delete_entry": AUTHOR,
    "entries.restore_entry": AUTHOR,
    "improvements.backlog": LIST,
    "improvements.export_csv": LIST,
    "improvements.show_improvement": READER,
    "improvements.edit_improvement": READER,
    "improvements.change_status": READER,
    "improvements.add_improvement": READER,
    "improvements.mark_entry_no_change": READER,
    "improvements.clear_entry_no_change": READER,
    "incidents.list_incidents": LIST,
    "incidents.list_narratives": LIST,
    "incidents.narratives_feed": LIST,
    "incidents.show_narrative": READER,
    "incidents.promote_entry": READER,
    "incidents.change_status": READER,
    "incidents.join_incident": READER,
    "incidents.add_timeline_event": READER,
    "incidents.edit_timeline_event": READER,
    "incidents.delete_timeline_event": READER,
    "incidents.save_own_analysis": READER,
    "incidents.show_review": READER,
    "incidents.save_review_notes": READER,
    "incidents.tick_review_step": READER,
    "incidents.add_contributing_factor": READER,
    "incidents.remove_contributing_factor": READER,
    "incidents.save_narrative": READER,
    "incidents.publish_narrative": READER,
    "celebrate.board": LIST,
    "celebrate.toggle_cheer": READER,
    "celebrate.toggle_thanks": READER,
    "people.my_history": LIST,
    "people.history": LIST,
    "people.export_csv": LIST,
    "people.export_markdown": LIST,
    "search.search": LIST,
    "digest.preview_this_week": LIST,
    "digest.preview_week": LIST,
    "auth.settings": LIST,
    "auth.logout": LIST,
    "admin.admin_index": ADMIN,
    "admin.invitations": ADMIN,
    "admin.create_invitation": ADMIN,
    "admin.create_team": ADMIN,
    "admin.toggle_active": ADMIN,
    "admin.toggle_admin": ADMIN,
    "members.team_members": TEAM,
    "members.add_team_member": TEAM,
    "members.remove_team_member": TEAM,
    "members.change_member_role": TEAM,
    "members.invite_to_team": TEAM,
    "members.leave_team": LIST,
}

# A valid-looking form for each POST, so that a missing check would store something.
WHEN = "2026-11-20T09:30"
FORMS: dict[str, dict[str, str]] = {
    "entries.create_entry": {"title": "Made in the matrix"},
    "entries.edit_entry": {"title": "Changed by someone", "visibility": "org"},
    "improvements.edit_improvement": {"title": "Edited", "type": "process", "priority": "1"},
    "improvements.change_status": {"to": "planned", "expected": "proposed"},
    "improvements.add_improvement": {"title": "Added", "type": "process", "priority": "2"},
    "improvements.mark_entry_no_change": {"reason": "Nothing to change here"},
    "incidents.change_status": {"to": "resolved", "expected": "ongoing", "resolved_at": WHEN},
    "incidents.add_timeline_event": {"occurred_at": WHEN, "text": "Something happened"},
    "incidents.edit_timeline_event": {"occurred_at": WHEN, "text": "Rewritten"},
    "incidents.save_own_analysis": {"saw_and_did": "I saw it", "surprised": "", "themes": ""},
    "incidents.save_review_notes": {"summary": "Summary", "learnings": "One"},
    "incidents.tick_review_step": {"step": "analyses", "done": "1"},
    "incidents.add_contributing_factor": {"factor": FACTOR_CHOICES[0].value, "note": "Noted"},
    "incidents.save_narrative": {"draft": "## Story", "action": "save"},
    "celebrate.toggle_cheer": {"on": "1"},
    "celebrate.toggle_thanks": {"on": "1"},
    "auth.settings": {"display_name": "Renamed", "timezone": "UTC", "team": "0"},
    "admin.create_invitation": {"email": "newcomer@example.com"},
    "admin.create_team": {"name": "Matrix team"},
    "members.change_member_role": {"role": "lead"},
    "members.invite_to_team": {"email": "newcomer@example.com"},
}

OWNER_FIELD = {"improvements.add_improvement", "improvements.edit_improvement"}
# Readers get 404 here too, with a reason: the page does not exist for this object yet.
MISSING_FOR_READERS = {"incidents.show_narrative": "only a published narrative has a page"}

VIEWERS = ["signed_out", "other_team", "admin", "teammate", "author"]  # refusals come first
OBJECTS = ["private", "team"]
MARK = {"private": "PRIVATE-q7x", "team": "TEAMONLY-q7x", "org": "ORGWIDE-q7x"}


def routes() -> list[tuple[str, str, str]]:
    """(endpoint, rule, method) for every rule and method of the URL map."""
    app = create_app({"TESTING": True, "DATABASE_URL": "sqlite://", "SECRET_KEY": "x"})
    found = []
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((rule.endpoint, rule.rule, method))
    return sorted(found)


ROUTES = routes()
CHECKED = [r for r in ROUTES if r[0] not in PUBLIC]


def test_every_route_is_in_the_matrix_or_public():
    unlisted = sorted({e for e, _, _ in ROUTES if e not in RULES and e not in PUBLIC})
    assert not unlisted, f"add these routes to RULES (or, with a reason, PUBLIC): {unlisted}"
    stale = sorted(set(RULES) - {e for e, _, _ in ROUTES})
    assert not stale, f"these RULES name no route any more: {stale}"


def test_public_routes_answer_signed_out(client):
    for endpoint, rule, method in ROUTES:
        if endpoint in PUBLIC and method == "GET" and "<" not in rule:
            response = client.get(rule)
            assert response.status_code == 200, rule


@pytest.fixture
def world(make_user, make_entry) -> dict[str, Any]:
    return build_world(make_user, make_entry)


def build_world(make_user: Any, make_entry: Any) -> dict[str, Any]:
    """The people and, per visibility, the ids of the entry and its parts."""
    people = {
        "author": make_user("Author"),
        "teammate": make_user("Teammate"),
        "other_team": make_user("Other", team="payments"),
        "admin": make_user("Admin", team="payments", role=Role.LEAD, admin=True),
        "bystander": make_user("Bystander", team="payments"),
    }
    author = people["author"]
    started = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    ids: dict[str, dict[str, Any]] = {}
    for visibility, mark in MARK.items():
        entry = make_entry(
            author,
            title=f"{mark} entry",
            visibility=Visibility(visibility),
            anonymous=visibility == "team",
            what_happened=f"{mark} story",
        )
        incident = declare(
            entry,
            author,
            severity=2,
            started_at=started,
            detected_at=started + timedelta(minutes=5),
            impact=f"{mark} impact",
        )
        improvement = propose(entry, author, title=f"{mark} improvement", owner=author)
        db.session.flush()
        event = add_event(incident, author, started + timedelta(minutes=10), f"{mark} event")
        save_analysis(incident, author, saw_and_did=f"{mark} analysis")
        factor = add_factor(entry, FactorCategory.TECHNICAL, "monitoring", f"{mark} factor")
        db.session.flush()
        set_cheer(author.id, True, improvement_id=improvement.id)
        set_cheer(people["teammate"].id, True, entry_id=entry.id)
        db.session.commit()
        ids[visibility] = {
            "entry_id": entry.id,
            "improvement_id": improvement.id,
            "event_id": event.id,
            "factor_id": factor.id,
        }
    return {"people": people, "ids": ids}


def can_read(obj: str, viewer: str) -> bool:
    return viewer == "author" or (obj == "team" and viewer == "teammate")


def expected(endpoint: str, obj: str, viewer: str) -> str:
    """ "login", "404", "403", "403_or_allowed" or "allowed" (only: not a 5xx)."""
    rule = RULES[endpoint]
    if viewer == "signed_out":
        return "login"
    if rule == LIST:
        return "allowed"
    if rule in (ADMIN, TEAM):
        return "allowed" if viewer == "admin" else "403"
    if not can_read(obj, viewer):
        return "404"
    if viewer == "author":
        return "allowed"
    if endpoint in MISSING_FOR_READERS:
        return "404"
    return "403" if rule == AUTHOR else "403_or_allowed"


def url_for_rule(rule: str, world: dict[str, Any], obj: str) -> str:
    values = {
        **world["ids"][obj],
        "user_id": world["people"]["bystander"].id,
        "team_id": world["people"]["author"].memberships[0].team_id,
        "person_id": world["people"]["author"].id,
        "week": str(IsoWeek.containing(utcnow(), UTC)),
        "token": "not-a-real-token",
    }
    url = rule
    for name, value in values.items():
        for form in (f"<id:{name}>", f"<int:{name}>", f"<{name}>"):
            url = url.replace(form, str(value))
    assert "<" not in url, f"no value to put into {rule}"
    return url


def snapshot() -> dict[str, tuple[int, str]]:
    """Every table's row count and a checksum of its rows."""
    db.session.commit()
    tables = {}
    with db.engine.connect() as connection:
        for name in inspect(connection).get_table_names():
            rows = connection.execute(text(f'SELECT * FROM "{name}"')).all()
            digest = hashlib.sha256(repr(sorted(map(repr, rows))).encode()).hexdigest()
            tables[name] = (len(rows), digest)
    return tables


def send(browser: Any, method: str, url: str, htmx: bool, data: dict | None) -> Any:
    """One request; a streamed body (the CSV exports) is read inside the request's context."""
    headers = {"HX-Request": "true"} if htmx else {}
    if data is not None:
        data = {"csrf_token": browser.csrf_token(), **data}

    def call() -> Any:
        response = browser.raw.open(url, method=method, data=data, headers=headers)
        response.get_data()
        return response

    return browser._isolated(call)


def check(response: Any, outcome: str, htmx: bool, where: str) -> None:
    status = response.status_code
    assert status < 500, f"{where}: {status}"
    if outcome == "login":
        target = response.headers.get("HX-Redirect" if htmx else "Location", "")
        if not htmx:
            assert status in (302, 303), f"{where}: {status}, expected a login redirect"
        assert "/login" in target, f"{where}: {status} {dict(response.headers)}"
    elif outcome in ("404", "403"):
        assert status == int(outcome), f"{where}: {status}, expected {outcome}"
    elif outcome == "403_or_allowed":
        assert status not in (401, 404), f"{where}: {status}, a reader was refused as a stranger"


@pytest.mark.parametrize("obj", OBJECTS)
@pytest.mark.parametrize(("endpoint", "rule", "method"), CHECKED, ids=lambda v: str(v))
def test_route_refuses_whoever_may_not(world, new_client, endpoint, rule, method, obj):
    url = url_for_rule(rule, world, obj)
    people = world["people"]
    for viewer in VIEWERS:
        browser = new_client()
        if viewer != "signed_out":
            browser.login_as(people[viewer])
        browser.csrf_token()
        outcome = expected(endpoint, obj, viewer)
        for htmx in (False, True):
            where = f"{viewer} {method} {url} htmx={htmx}"
            before = snapshot()
            data = dict(FORMS.get(endpoint, {})) if method == "POST" else None
            if data is not None and endpoint in OWNER_FIELD:
                data["owner"] = str(people["author"].id)
            response = send(browser, method, url, htmx, data)
            check(response, outcome, htmx, where)
            if outcome in ("login", "404", "403") or response.status_code >= 400:
                assert snapshot() == before, f"{where}: refused, yet the database changed"
            if method == "GET" and viewer != "signed_out":
                for other, mark in MARK.items():
                    if other != "org" and not can_read(other, viewer):
                        assert mark not in response.text, f"{where} shows {other} objects"
