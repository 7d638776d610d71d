"""Anonymous means anonymous: an invariant over every surface, not one test per template.

Zelda shares a lesson, a second lesson and an incident anonymously and does everything a
person does around them: she owns and proposes improvements, moves them, marks "no change
needed", responds, writes the timeline and an analysis, ticks a review step and publishes
the narrative. Then everyone else reads every page, fragment, search, export, feed, error
text and email. No response may hold both Zelda (her name, email or person links) and
anything of her anonymous entries (every text of them carries ``MARK``).
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from learnapp.celebrate.writing import set_cheer
from learnapp.digest.send import send_digests
from learnapp.digest.weeks import IsoWeek
from learnapp.extensions import db
from learnapp.improvements.models import Status
from learnapp.improvements.writing import mark_no_change, move, propose
from learnapp.incidents.models import IncidentStatus, ReviewStepName
from learnapp.incidents.writing import add_event, declare, save_analysis, tick
from learnapp.incidents.writing import move as move_incident
from learnapp.models import Kind, Role, User, utcnow
from tests.digest.conftest import mail_app, mailbox, smtp_server  # noqa: F401

MARK = "Quokka"  # in every text of Zelda's anonymous entries and what hangs from them
UNSELECTED_OPTION = re.compile(r"<option(?![^>]*\bselected\b)[^>]*>[^<]*</option>")


@pytest.fixture
def zelda(make_user: Any) -> User:
    user = make_user("Zelda")
    user.display_name, user.email = "Zelda Marchetti", "z.marchetti@example.com"
    db.session.commit()
    return user


@pytest.fixture
def readers(make_user: Any) -> dict[str, User]:
    """Everyone else: a teammate, a lead of her team, an admin of another team."""
    return {
        "teammate": make_user("Bruno"),
        "lead": make_user("Lena", role=Role.LEAD),
        "admin": make_user("Amara", team="payments", admin=True),
    }


@pytest.fixture
def story(zelda: User, readers: dict[str, User], make_entry: Any) -> dict[str, int]:
    """Zelda's anonymous entries and everything she did around them; their ids by name."""
    bruno = readers["teammate"]
    lesson = make_entry(
        zelda, title=f"{MARK} cache served stale prices", anonymous=True,
        what_we_learned=f"{MARK} invalidate on write",
    )  # fmt: skip
    owned = propose(lesson, zelda, title=f"{MARK} purge on deploy", owner_id=zelda.id)
    proposed = propose(lesson, zelda, title=f"{MARK} alert on staleness", owner_id=bruno.id)
    overdue = propose(
        lesson, zelda, title=f"{MARK} document the cache", owner_id=zelda.id,
        due_date=utcnow().date() - timedelta(days=3),
    )  # fmt: skip
    db.session.commit()
    move(owned, Status.DONE, Status.PROPOSED, zelda)
    move(proposed, Status.PLANNED, Status.PROPOSED, zelda)
    set_cheer(bruno.id, True, improvement_id=owned.id)
    quiet = make_entry(zelda, title=f"{MARK} typo in a log line", anonymous=True)
    mark_no_change(quiet, zelda, f"{MARK} nothing to change")

    incident_entry = make_entry(zelda, title=f"{MARK} checkout down", anonymous=True)
    incident = declare(
        incident_entry, zelda, severity=2, started_at=utcnow() - timedelta(hours=2),
        detected_at=utcnow() - timedelta(hours=2), impact=f"{MARK} no checkouts",
    )  # fmt: skip
    incident_entry.kind = Kind.INCIDENT
    db.session.flush()
    event = add_event(incident, zelda, utcnow() - timedelta(hours=1), f"{MARK} rolled back")
    db.session.commit()
    move_incident(
        incident, IncidentStatus.RESOLVED, IncidentStatus.ONGOING, zelda, resolved_at=utcnow()
    )
    db.session.commit()
    save_analysis(incident, zelda, saw_and_did=f"{MARK} I saw the errors first")
    tick(incident, ReviewStepName.ANALYSES, True, zelda)
    incident.narrative = f"{MARK} what happened at checkout"
    db.session.commit()
    move_incident(incident, IncidentStatus.PUBLISHED, IncidentStatus.RESOLVED, zelda)
    db.session.commit()
    return {
        "lesson": lesson.id,
        "quiet": quiet.id,
        "incident": incident_entry.id,
        "owned": owned.id,
        "proposed": proposed.id,
        "overdue": overdue.id,
        "event": event.id,
    }


def surfaces(ids: dict[str, int], zelda_id: int) -> list[tuple[str, list[str] | None]]:
    """Every way to read the app: (url, None) where the anonymous content is shown, or (url,
    what must be missing) where a list picks rows by Zelda and must leave hers out."""
    week = IsoWeek.containing(utcnow(), ZoneInfo("UTC"))
    lesson, incident = ids["lesson"], ids["incident"]
    shown = [
        "/",
        "/?kind=incident",
        f"/entries/{lesson}",
        f"/entries/{ids['quiet']}",
        f"/entries/{incident}",
        f"/entries/{incident}/review",
        f"/improvements/{ids['owned']}",
        f"/improvements/{ids['proposed']}",
        f"/improvements/{ids['overdue']}",
        "/improvements?status=all&since=&until=",
        "/improvements?status=all&since=&until=&sort=age",
        "/improvements.csv?status=all&since=&until=",
        "/celebrate",
        "/celebrate?period=month",
        "/celebrate?period=all",
        f"/search?q={MARK}",
        "/digest",
        f"/digest/{week}",
        "/incidents",
        "/narratives",
        "/narratives.atom",
        f"/narratives/{incident}",
    ]
    # The backlog's figures ignore the owner filter: only its list must leave hers out.
    hers = [f'id="improvement-{ids["owned"]}"', f'id="improvement-{ids["overdue"]}"']
    picked_by_her = [
        (f"/people/{zelda_id}", [MARK]),
        (f"/improvements?status=all&since=&until=&owner={zelda_id}", hers),
        (f"/improvements.csv?status=all&since=&until=&owner={zelda_id}", [MARK]),
        ("/search?q=Zelda", [MARK]),
        ("/search?q=Marchetti", [MARK]),
    ]
    return [(url, None) for url in shown] + picked_by_her


def identity(zelda: User) -> list[str]:
    return [
        zelda.display_name,
        "Zelda",
        zelda.email,
        f'/people/{zelda.id}"',
        f"/people/{zelda.id}?",
        f'owner={zelda.id}"',
        f"owner={zelda.id}&",
    ]


def assert_unlinked(text: str, zelda: User, where: str) -> None:
    """Zelda and her anonymous content never meet in one response."""
    text = UNSELECTED_OPTION.sub("", text)  # lists of everyone name everyone
    named = [token for token in identity(zelda) if token in text]
    assert not (named and MARK in text), f"{where} names {named} beside the anonymous entry"


@pytest.mark.parametrize("reader", ["teammate", "lead", "admin"])
def test_no_surface_connects_an_anonymous_entry_to_its_author(
    story, zelda, readers, new_client, reader
):
    client = new_client().login_as(readers[reader])
    for url, missing in surfaces(story, zelda.id):
        for htmx in (False, True):
            response = client.get(url, htmx=htmx, buffered=True)
            where = f"GET {url}{' (htmx)' if htmx else ''} as {reader}"
            assert response.status_code == 200, where
            if missing is None:
                assert_unlinked(response.text, zelda, where)
                if not htmx:
                    assert MARK in response.text, f"{where} shows none of it: tests nothing"
            else:
                found = [text for text in missing if text in response.text]
                assert not found, f"{where} lists {found}, picked by the anonymous author"


def test_forms_and_refusals_do_not_name_the_anonymous_author(story, zelda, readers, new_client):
    """The edit form of an improvement she owns, and the sentences that refuse an action."""
    lead = new_client().login_as(readers["lead"])
    form = lead.get(f"/improvements/{story['owned']}/edit")
    assert form.status_code == 200
    assert MARK in form.text
    assert_unlinked(form.text, zelda, "the improvement's edit form")
    assert "A teammate (unchanged)" in form.text

    saved = lead.post(
        f"/improvements/{story['owned']}/edit",
        {"title": f"{MARK} purge on every deploy", "owner": "0", "type": "process", "priority": 2},
    )
    assert saved.status_code == 303
    db.session.expire_all()
    from learnapp.improvements.models import Improvement

    assert db.session.get(Improvement, story["owned"]).owner_id == zelda.id  # kept

    teammate = new_client().login_as(readers["teammate"])
    refusal = teammate.post(
        f"/improvements/{story['overdue']}/status", {"to": "planned", "expected": "proposed"}
    )
    assert refusal.status_code == 403
    assert "Only its owner (a teammate)" in refusal.text
    assert_unlinked(refusal.text, zelda, "a refusal")


def test_the_author_still_sees_herself(story, zelda, new_client):
    client = new_client().login_as(zelda)
    page = client.get(f"/improvements/{story['owned']}")
    assert f"Owner {zelda.display_name}" in page.text
    mine = client.get(f"/people/{zelda.id}")
    assert MARK in mine.text  # her own history keeps her anonymous work


def test_the_weekly_email_does_not_name_the_anonymous_author(story, zelda, readers, mailbox):  # noqa: F811
    week = IsoWeek.containing(utcnow(), ZoneInfo("UTC"))
    send_digests(week, sleep=lambda _: None)
    for reader in readers.values():
        received = mailbox.to(reader.email)
        assert received, f"{reader.display_name} got no digest: no test"
        message = received[0].message
        for part in message.walk():
            if part.get_content_maintype() == "text":
                body = part.get_content()
                assert MARK in body
                assert_unlinked(body, zelda, f"the digest to {reader.display_name}")
    own = mailbox.to(zelda.email)[0].message
    mine = own.get_body(("plain",)).get_content()
    assert f"{MARK} document the cache" in mine  # her own open items still reach her


# Templates that name a person who is the page's own subject, never someone beside an entry.
NAMES_THEIR_SUBJECT = {
    "admin/index.html",  # the people list, for admins
    "admin/invite.html",
    "auth/invitation.html",  # who invited you
    "auth/register.html",
    "auth/settings.html",
    "auth/signin_link.html",  # the person the link signs in
    "base.html",  # the signed-in person
    "email/invitation.html",
    "email/invitation_text.html",
    "email/password_reset.html",
    "email/password_reset_text.html",
    "email/signin_link.html",
    "email/signin_link_text.html",
    "members/_members.html",  # a team's people, for its leads
    "people/history.html",  # the person whose history it is
}


def test_templates_name_people_beside_entries_only_through_the_rule():
    """A name beside an entry comes from ``person_label``: a template that reads
    ``.display_name`` itself would bypass the anonymity rule."""
    folder = Path(__file__).parents[1] / "templates"
    offenders = []
    for template in sorted(folder.rglob("*.html")):
        name = template.relative_to(folder).as_posix()
        for line in template.read_text().splitlines():
            if ".display_name" in line and name not in NAMES_THEIR_SUBJECT:
                offenders.append(f"{name}: {line.strip()}")
    assert not offenders
