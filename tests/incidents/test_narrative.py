"""The narrative: draft assembly, preview, hints, publishing to everyone, the list and feed."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytest

from learnapp.extensions import db
from learnapp.improvements.writing import propose
from learnapp.incidents.models import IncidentStatus, TimelineEvent
from learnapp.models import ContributingFactor, FactorCategory
from tests.incidents.conftest import incident

ATOM = "{http://www.w3.org/2005/Atom}"


def parse(document: bytes) -> ET.Element:
    """Our own feed, parsed strictly: malformed XML raises."""
    return ET.fromstring(document)  # noqa: S314  (the app's own output, not untrusted input)


@pytest.fixture
def in_review(make_incident, people):
    entry = make_incident(
        people["author"],
        status=IncidentStatus.IN_REVIEW,
        title="Checkout down",
        visibility="private",
    )
    found = incident(entry)
    found.summary = "A config push disabled the payment provider."
    found.learnings = "- Config changes need a canary."
    start = found.started_at
    db.session.add_all(
        [
            TimelineEvent(
                incident_id=found.id,
                occurred_at=start + timedelta(minutes=27),
                text="Rolled back",
                author=people["author"],
                idempotency_key="b",
            ),
            TimelineEvent(
                incident_id=found.id,
                occurred_at=start + timedelta(minutes=2),
                text="Deploy",
                author=people["author"],
                idempotency_key="a",
            ),
            ContributingFactor(
                entry_id=entry.id,
                category=FactorCategory.TECHNICAL,
                factor="config drift",
                note="staging differed",
            ),
        ]
    )
    propose(entry, people["author"], title="Canary config pushes", owner=people["author"])
    db.session.commit()
    return entry


def test_the_first_draft_is_assembled_from_the_review(client, people, in_review):
    people["author"].timezone = "Europe/London"
    db.session.commit()
    page = client.login_as(people["author"]).get(f"/entries/{in_review.id}").text
    start = page.index('id="draft" ')
    draft = page[start : page.index("</textarea>", start)]
    for part in (
        "## Summary\n\nA config push disabled the payment provider.",
        "- Severity: SEV2",
        "- Started: 20 Nov 2026 09:00 GMT",
        "## Impact\n\nCheckout failed for most customers",
        "## Timeline\n\n- 20 Nov 2026 09:02 GMT: Deploy\n- 20 Nov 2026 09:27 GMT: Rolled back",
        "## Contributing factors\n\n- Technical: config drift — staging differed",
        "## What we learned\n\n- Config changes need a canary.",
        "## Improvement actions\n\n- Canary config pushes (proposed)",
    ):
        assert part in draft


@pytest.mark.parametrize("htmx", [False, True])
def test_preview_shows_the_rendered_text_and_hints_without_saving(client, people, in_review, htmx):
    text = "We **learned** a lot. Nobody is to blame."
    response = client.login_as(people["author"]).post(
        f"/entries/{in_review.id}/narrative", {"draft": text, "action": "preview"}, htmx=htmx
    )
    assert response.status_code == 200
    assert "<strong>learned</strong>" in response.text and "not saved" in response.text
    assert "<q>blame</q>" in response.text
    assert incident(in_review).narrative == ""


@pytest.mark.parametrize("htmx", [False, True])
def test_saving_the_narrative(client, people, in_review, htmx):
    response = client.login_as(people["author"]).post(
        f"/entries/{in_review.id}/narrative",
        {"draft": "## What happened", "action": "save"},
        htmx=htmx,
    )
    assert response.status_code == (200 if htmx else 303)
    assert incident(in_review).narrative == "## What happened"
    if htmx:
        assert response.text.lstrip().startswith('<section id="narrative"')
        assert "Publish the saved narrative" in response.text


def test_start_again_replaces_the_text_with_the_draft_but_saves_nothing(client, people, in_review):
    response = client.login_as(people["author"]).post(
        f"/entries/{in_review.id}/narrative",
        {"draft": "my words", "action": "assemble"},
        htmx=True,
    )
    assert response.status_code == 200 and "## Summary" in response.text
    assert "my words" not in response.text
    assert incident(in_review).narrative == ""


def test_a_narrative_with_a_control_character_is_refused(client, people, in_review):
    response = client.login_as(people["author"]).post(
        f"/entries/{in_review.id}/narrative",
        {"draft": "bad\x00text", "action": "save"},
        htmx=True,
    )
    assert response.status_code == 422 and "control character" in response.text


def publish(browser, entry, text="## What happened\n\nA config push <script>x</script> & more."):
    browser.post(f"/entries/{entry.id}/narrative", {"draft": text, "action": "save"})
    assert browser.post(f"/entries/{entry.id}/publish").status_code == 303


def test_a_private_incidents_narrative_is_readable_by_everyone_once_published(
    client, new_client, people, in_review
):
    reader = new_client().login_as(people["other_team"])
    assert reader.get(f"/entries/{in_review.id}").status_code == 404
    assert reader.get(f"/narratives/{in_review.id}").status_code == 404, "not before publishing"
    assert "Checkout down" not in reader.get("/narratives").text

    publish(client.login_as(people["author"]), in_review)
    page = reader.get(f"/narratives/{in_review.id}")
    assert page.status_code == 200
    assert "A config push &lt;script&gt;x&lt;/script&gt; &amp; more." in page.text
    assert "The incident&#39;s page" not in page.text, "no link to an entry they cannot open"
    assert reader.get(f"/entries/{in_review.id}").status_code == 404, "the entry stays private"
    assert "Checkout down" in reader.get("/narratives").text


def test_a_narrative_never_names_an_anonymous_entrys_author(
    client, new_client, people, make_incident
):
    entry = make_incident(people["author"], status=IncidentStatus.IN_REVIEW, anonymous=True)
    publish(client.login_as(people["author"]), entry)
    page = new_client().login_as(people["teammate"]).get(f"/narratives/{entry.id}").text
    assert "by a teammate" in page and "Author" not in page
    feed = new_client().login_as(people["teammate"]).get("/narratives.atom").text
    assert "Author" not in feed


def test_deleted_entries_narratives_are_gone(client, people, in_review):
    browser = client.login_as(people["author"])
    publish(browser, in_review)
    browser.post(f"/entries/{in_review.id}/delete")
    assert browser.get(f"/narratives/{in_review.id}").status_code == 404


def test_the_narratives_list_pages_newest_first(app, client, people, make_incident):
    app.config["INCIDENT_PAGE_SIZE"] = 2
    base = datetime(2026, 11, 1, tzinfo=UTC)
    for day in range(3):
        entry = make_incident(
            people["author"], status=IncidentStatus.PUBLISHED, title=f"Outage {day}"
        )
        incident(entry).published_at = base + timedelta(days=day)
        db.session.commit()
    browser = client.login_as(people["teammate"])
    first = browser.get("/narratives").text
    assert first.index("Outage 2") < first.index("Outage 1") and "Outage 0" not in first
    more = first[first.index('href="/narratives?cursor=') + 6 :].split('"')[0].replace("&amp;", "&")
    fragment = browser.get(more, htmx=True)
    assert (
        "Outage 0" in fragment.text
        and "<html" not in fragment.text
        and "Outage 2" not in fragment.text
    )
    assert "Outage 0" in browser.get(more).text, "the same link works as a page"


def test_the_feed_is_valid_atom_with_absolute_urls(app, client, people, make_incident, in_review):
    app.config["MAIL_BASE_URL"] = "https://learn.example.org"
    publish(client.login_as(people["author"]), in_review)
    # Asked for at http://localhost: links come from the configured address, never the Host.
    response = client.get("/narratives.atom")
    assert response.status_code == 200 and response.mimetype == "application/atom+xml"
    assert response.headers["Cache-Control"] == "private, no-store"
    feed = parse(response.data)
    assert feed.tag == f"{ATOM}feed"
    for required in ("id", "title", "updated", "author"):
        assert feed.find(f"{ATOM}{required}") is not None
    assert feed.find(f"{ATOM}link[@rel='self']").get("href") == (
        "https://learn.example.org/narratives.atom"
    )
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == 1
    entry = entries[0]
    link = f"https://learn.example.org/narratives/{in_review.id}"
    assert entry.findtext(f"{ATOM}id") == link
    assert entry.find(f"{ATOM}link").get("href") == link
    assert entry.findtext(f"{ATOM}title") == "SEV2: Checkout down"
    assert datetime.fromisoformat(entry.findtext(f"{ATOM}updated")).tzinfo is not None
    content = entry.find(f"{ATOM}content")
    assert content.get("type") == "html"
    assert "&lt;script&gt;" in content.text, "the narrative's HTML is escaped once, inside"


def test_an_empty_feed_is_still_valid(client, people):
    response = client.login_as(people["teammate"]).get("/narratives.atom")
    feed = parse(response.data)
    assert feed.findall(f"{ATOM}entry") == [] and feed.findtext(f"{ATOM}updated")


def test_the_narrative_pages_need_a_sign_in(client):
    assert client.get("/narratives.atom").status_code == 303
    assert client.get("/narratives").status_code == 303
