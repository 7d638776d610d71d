"""An incident from outage to narrative in the browser: declare it, keep a timeline, resolve,
two responders write analyses, run the review, publish, and someone from another team reads
the narrative and its feed. Under htmx each step happens in place; without JavaScript the
same forms work as plain pages."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from learnapp.extensions import db
from learnapp.models import Team, User
from learnapp.teams import add_member
from tests.browser.conftest import (
    TIMEOUT_MS,
    VIEWPORT,
    BrowserProblems,
    LiveServer,
    run_live_server,
)
from tests.browser.helpers import SameDocument, htmx_settled

pytestmark = pytest.mark.browser

CheckA11y = Callable[[Page, str], None]
TITLE = "Checkout down: payments rejected"


def _teams() -> None:
    db.session.add_all(
        [Team(name="Platform", slug="platform"), Team(name="Payments", slug="payments")]
    )
    db.session.commit()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    """A server of this test's own, with two teams."""
    with run_live_server(tmp_path, prepare=_teams) as live:
        yield live


def another_person(browser: Browser, problems: BrowserProblems) -> Page:
    """A watched page in a browser context of its own (another person's cookies)."""
    context = browser.new_context(viewport=VIEWPORT, locale="en-GB", timezone_id="UTC")
    context.set_default_timeout(TIMEOUT_MS)
    opened = context.new_page()
    problems.watch(opened)
    return opened


def join_team(page: Page, server: LiveServer, name: str, team: str) -> None:
    """Register ``name``, then make them a member of ``team`` as its lead would (the members
    page has browser tests of its own)."""
    base = server.base_url
    page.goto(base + "/register")
    page.get_by_label("Your name").fill(name)
    page.get_by_label("Email").fill(f"{name.lower()}@example.com")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Create account").click()
    expect(page).to_have_url(base + "/")
    with server.app.app_context():
        user_id = db.session.scalar(
            select(User.id).where(User.email == f"{name.lower()}@example.com")
        )
        add_member(db.session.scalar(select(Team.id).where(Team.name == team)), user_id)
        db.session.commit()
    page.reload()
    # Let the page finish loading its scripts: leaving earlier aborts them (a reported problem).
    page.wait_for_load_state()


def declare(page: Page, base: str) -> str:
    """Declare the incident from the full form; returns its page's URL."""
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Incidents").click()
    page.wait_for_load_state()
    page.get_by_role("link", name="Declare an incident").click()
    page.wait_for_load_state()
    page.get_by_label("What went wrong, or what did you learn?").fill(TITLE)
    expect(page.get_by_label("Incident", exact=True)).to_be_checked()
    page.get_by_label("Severity").select_option("1")
    page.get_by_label("Started").fill("2026-11-20T14:02")
    page.get_by_label("Detected").fill("2026-11-20T14:05")
    page.get_by_label("My team").check()
    page.get_by_role("button", name="Save entry").click()
    page.wait_for_load_state()
    page.get_by_role("link", name=TITLE).click()
    expect(page.get_by_role("heading", level=1, name=TITLE)).to_be_visible()
    page.wait_for_load_state()
    return page.url


def add_event(page: Page, when: str, text: str) -> None:
    timeline = page.locator("#timeline")
    timeline.get_by_label("When").fill(when)
    timeline.get_by_label("What happened").fill(text)
    timeline.get_by_role("button", name="Add event").click()
    htmx_settled(page)


def test_declare_resolve_analyse_review_publish_and_read(
    browser: Browser,
    page: Page,
    server: LiveServer,
    check_a11y: CheckA11y,
    problems: BrowserProblems,
) -> None:
    base = server.base_url
    join_team(page, server, "Ada", "Platform")
    url = declare(page, base)
    expect(page.locator(".banner")).to_contain_text("The focus is fixing.")
    expect(page.locator("#analyses")).to_have_count(0)
    check_a11y(page, "an ongoing incident")

    same_page = SameDocument(page)
    add_event(page, "2026-11-20T14:27", "Rolled back the config")
    add_event(page, "2026-11-20T14:05", "Checkout error alert fired")
    events = page.locator("#timeline .event-text")
    expect(events).to_have_text(["Checkout error alert fired", "Rolled back the config"])
    expect(page.locator("#timeline").get_by_label("What happened")).to_have_value("")
    expect(page.locator("#timeline").get_by_label("What happened")).to_be_focused()
    same_page.check()

    grace = another_person(browser, problems)
    join_team(grace, server, "Grace", "Platform")
    grace.goto(url)
    grace.get_by_role("button", name="I\u2019m on it").click()
    htmx_settled(grace)
    expect(grace.locator("#responders")).to_contain_text("Grace")

    page.get_by_label("Resolved at").fill("2026-11-20T14:40")
    page.get_by_role("button", name="Mark resolved").click()
    htmx_settled(page)
    expect(page.locator("#incident-status")).to_contain_text("time to resolve")
    expect(page.locator(".banner")).to_have_count(0)
    same_page.check()

    page.get_by_label("What I saw and did").fill("I rolled back; it was human error on my side.")
    page.get_by_role("button", name="Save my analysis").click()
    htmx_settled(page)
    expect(page.locator("#analyses .blame-hints")).to_contain_text("human error")
    expect(page.locator("#analyses")).to_contain_text("I rolled back")

    grace.reload()
    grace.get_by_label("What I saw and did").fill("The alert named the symptom, not the change.")
    grace.get_by_role("button", name="Save my analysis").click()
    htmx_settled(grace)
    expect(grace.locator("#review")).to_contain_text("Written by: Ada, Grace.")

    page.get_by_role("button", name="Start the review").first.click()
    htmx_settled(page)
    review = page.locator("#review")
    review.get_by_role("button", name="Mark done: Analyses in").click()
    htmx_settled(page)
    expect(review.locator("#step-analyses")).to_contain_text("ticked by Ada")
    summary = review.get_by_role("textbox", name="Shared understanding")
    summary.fill("A config push blanked the provider key.")
    review.locator("#step-understanding").get_by_role("button", name="Save").click()
    htmx_settled(page)
    review.get_by_role("combobox", name="Factor").select_option("technical:config drift")
    review.get_by_role("textbox", name="Note").fill("The rendered config was never reviewed")
    review.get_by_role("button", name="Add factor").click()
    htmx_settled(page)
    expect(review.locator(".factors")).to_contain_text("config drift")
    check_a11y(page, "an incident in review")

    narrative = page.locator("#narrative")
    page.get_by_role("button", name="Start again from the review").click()
    htmx_settled(page)
    expect(narrative.get_by_label("Narrative")).to_have_value(re.compile("A config push blanked"))
    narrative.get_by_role("button", name="Preview").click()
    htmx_settled(page)
    expect(narrative.locator(".preview")).to_contain_text("Contributing factors")
    narrative.get_by_role("button", name="Save draft").click()
    htmx_settled(page)
    narrative.get_by_role("button", name="Publish the saved narrative").click()
    htmx_settled(page)
    expect(page.locator("#incident-status")).to_contain_text("Published")
    same_page.check()
    check_a11y(page, "a published incident")
    page.goto(base + "/incidents")
    expect(page.locator(".incident-row")).to_contain_text("resolved after 38 min")
    check_a11y(page, "the incident list")

    alan = another_person(browser, problems)
    join_team(alan, server, "Alan", "Payments")
    alan.goto(base + "/narratives")
    check_a11y(alan, "the published narratives")
    alan.get_by_role("link", name=TITLE).click()
    expect(alan.get_by_role("heading", level=1, name=TITLE)).to_be_visible()
    alan.wait_for_load_state()
    expect(alan.locator(".narrative-page")).to_contain_text(
        "A config push blanked the provider key."
    )
    check_a11y(alan, "a published narrative")
    feed = alan.request.get(base + "/narratives.atom")
    root = ET.fromstring(feed.body())  # noqa: S314  (the app's own feed)
    assert (
        root.find("{http://www.w3.org/2005/Atom}entry/{http://www.w3.org/2005/Atom}title").text
        == f"SEV1: {TITLE}"
    )
    problems.expect_status(404)
    alan.goto(url)
    expect(alan.get_by_role("heading", name="Nothing here")).to_be_visible()
    problems.closing = True
    for other in (grace, alan):
        other.context.close()


def test_declare_and_resolve_without_javascript(
    nojs_page: Page, server: LiveServer, problems: BrowserProblems
) -> None:
    page = nojs_page
    base = server.base_url
    join_team(page, server, "Katherine", "Payments")
    declare(page, base)
    add_event(page, "2026-11-20T14:05", "Alert fired")
    expect(page.locator(".flash-success")).to_have_text("Event added.")
    expect(page).to_have_url(re.compile(r"/entries/\d+#timeline$"))
    problems.expect_status(422)
    add_event(page, "2026-11-20T14:10", "")
    expect(page.locator("#timeline")).to_contain_text("Please fill this in.")
    page.get_by_label("Resolved at").fill("2026-11-20T14:40")
    page.get_by_role("button", name="Mark resolved").click()
    expect(page.locator(".flash-success")).to_have_text("Now resolved.")
    expect(page.locator("#analyses")).to_be_visible()
