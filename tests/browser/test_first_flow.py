"""A newcomer's first minutes, under htmx: register, log lessons with the keyboard, edit in
place, delete and undo, with axe-core checking each page and state on the way."""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import parse_qs

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import BrowserProblems, LiveServer
from tests.browser.helpers import (
    SameDocument,
    feed_titles,
    fill_registration,
    htmx_settled,
    quick_entry_title,
    register,
)

pytestmark = pytest.mark.browser

CheckA11y = Callable[[Page, str], None]


def save_with_keyboard(page: Page, base_url: str, title: str) -> dict[str, list[str]]:
    """Type ``title`` into the focused quick entry and press Enter; returns the posted form."""
    expect(quick_entry_title(page)).to_be_focused()
    page.keyboard.type(title)
    with page.expect_response(
        lambda r: r.request.method == "POST" and r.url == base_url + "/entries"
    ) as posted:
        page.keyboard.press("Enter")
    response = posted.value
    assert response.status == 200, f"POST /entries answered {response.status}"
    assert response.request.header_value("HX-Request") == "true", "htmx did not send it"
    htmx_settled(page)
    return parse_qs(response.request.post_data or "")


def test_first_user_logs_two_lessons_with_the_keyboard(
    page: Page, fresh_server: LiveServer, check_a11y: CheckA11y, problems: BrowserProblems
) -> None:
    base = fresh_server.base_url
    page.goto(base + "/register")
    expect(page.get_by_role("heading", name="Create your account")).to_be_visible()
    check_a11y(page, "the registration page")

    fill_registration(page, "Ada", "ada@example.com")
    page.get_by_role("button", name="Create account").click()
    expect(page).to_have_url(base + "/")
    expect(page.locator(".flash")).to_have_text(re.compile("Welcome, Ada!"))
    main_nav = page.get_by_role("navigation", name="Main")
    expect(main_nav.get_by_role("link", name="Admin")).to_be_visible()  # the first user
    expect(page.locator(".empty-state")).to_be_visible()
    check_a11y(page, "the empty home page")

    same_page = SameDocument(page)
    first = save_with_keyboard(page, base, "Stale cache ate two hours: clear it first")

    expect(feed_titles(page)).to_have_text(["Stale cache ate two hours: clear it first"])
    expect(page.locator(".empty-state")).to_be_hidden()
    title = quick_entry_title(page)
    expect(title).to_have_value("")
    expect(title).to_be_focused()
    expect(page.locator("#announcer")).to_have_text(
        "Saved: Stale cache ate two hours: clear it first"
    )
    same_page.check()
    check_a11y(page, "the home page after a quick entry")

    # The swapped-in form carries a new idempotency key, so a second entry is a new entry.
    second = save_with_keyboard(page, base, "Flag unfinished work before merging")

    expect(feed_titles(page)).to_have_text(
        ["Flag unfinished work before merging", "Stale cache ate two hours: clear it first"]
    )
    expect(title).to_have_value("")
    expect(title).to_be_focused()
    expect(page.locator("#announcer")).to_have_text("Saved: Flag unfinished work before merging")
    same_page.check()
    assert first["idempotency_key"] != second["idempotency_key"]

    # An empty title: the form comes back with its error (422) and focus; the feed stays.
    problems.expect_status(422, "/entries")
    with page.expect_response(lambda r: r.url == base + "/entries") as posted:
        page.keyboard.press("Enter")
    assert posted.value.status == 422
    assert posted.value.request.header_value("HX-Request") == "true", "htmx did not send it"
    htmx_settled(page)
    expect(title).to_have_attribute("aria-invalid", "true")
    expect(title).to_have_accessible_description("Please fill this in.")
    expect(title).to_be_focused()
    expect(feed_titles(page)).to_have_count(2)
    same_page.check()
    check_a11y(page, "the quick entry showing an error")

    # Saved after the error: a blank form replaces the one showing it.
    third = save_with_keyboard(page, base, "Read the error before retrying")
    assert third["form_shows_errors"] == ["1"]
    expect(title).to_have_value("")
    expect(title).not_to_have_attribute("aria-invalid", "true")
    expect(title).to_be_focused()
    expect(page.locator("#quick-entry .field-errors")).to_have_count(0)
    expect(feed_titles(page)).to_have_count(3)
    same_page.check()

    page.reload()  # the server kept all three
    expect(feed_titles(page)).to_have_text(
        [
            "Read the error before retrying",
            "Flag unfinished work before merging",
            "Stale cache ate two hours: clear it first",
        ]
    )


def test_quick_entry_empties_its_details_for_the_next_one(
    page: Page, live_server: LiveServer
) -> None:
    base = live_server.base_url
    register(page, base, "Linus")
    page.get_by_text("More details (optional)").click()
    learned = page.get_by_label("What we learned")
    learned.fill("Check the lock file into git")
    page.get_by_label("Only me").check()
    quick_entry_title(page).focus()
    first = save_with_keyboard(page, base, "CI used another version of the linter")
    assert first["what_we_learned"] == ["Check the lock file into git"]
    assert "form_shows_errors" not in first

    expect(learned).to_have_value("")
    expect(page.get_by_label("Organisation")).to_be_checked()
    second = save_with_keyboard(page, base, "Pin the linter")
    assert "what_we_learned" not in second or second["what_we_learned"] == [""]
    assert second["idempotency_key"] != first["idempotency_key"]
    expect(feed_titles(page)).to_have_text(
        ["Pin the linter", "CI used another version of the linter"]
    )


def test_edit_delete_and_undo_happen_in_place(
    page: Page, live_server: LiveServer, check_a11y: CheckA11y
) -> None:
    base = live_server.base_url
    register(page, base, "Grace")
    save_with_keyboard(page, base, "Deploy skipped the migrations")

    page.get_by_role("link", name="Deploy skipped the migrations").click()
    expect(page).to_have_url(re.compile(r"/entries/\d+$"))
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text("Deploy skipped the migrations")
    check_a11y(page, "the entry page")
    same_page = SameDocument(page)

    # Cancel puts the body back untouched, and keeps focus in it.
    page.get_by_role("link", name="Edit").click()
    expect(heading).to_have_text("Edit entry")
    page.get_by_role("link", name="Cancel").click()
    expect(heading).to_have_text("Deploy skipped the migrations")
    expect(heading).to_be_focused()
    htmx_settled(page)

    # Edit: the body becomes a form, and saving puts the body back with the new title.
    page.get_by_role("link", name="Edit").click()
    expect(heading).to_have_text("Edit entry")
    title = page.get_by_label("What went wrong, or what did you learn?")
    expect(title).to_have_value("Deploy skipped the migrations")
    expect(title).to_be_focused()
    htmx_settled(page)
    check_a11y(page, "the entry page in its edit state")
    title.fill("Deploy skipped the database migrations")
    page.get_by_role("button", name="Save changes").click()
    expect(heading).to_have_text("Deploy skipped the database migrations")
    expect(heading).to_be_focused()
    expect(page.locator("#announcer")).to_have_text("Changes saved.")
    htmx_settled(page)
    same_page.check()

    # Delete: a notice replaces the body, focus waits on its Undo; Enter brings it back.
    page.get_by_role("button", name="Delete").click()
    notice = page.locator("#entry-body")
    expect(notice).to_contain_text("“Deploy skipped the database migrations” was deleted.")
    undo = notice.get_by_role("button", name="Undo")
    expect(undo).to_be_focused()
    expect(page.locator("#announcer")).to_have_text(
        "Deleted: Deploy skipped the database migrations. Undo is available."
    )
    htmx_settled(page)
    check_a11y(page, "the deleted notice")
    page.keyboard.press("Enter")
    expect(heading).to_have_text("Deploy skipped the database migrations")
    expect(heading).to_be_focused()
    expect(page.get_by_role("button", name="Delete")).to_be_visible()
    expect(page.locator("#announcer")).to_have_text("Entry restored.")
    htmx_settled(page)
    same_page.check()

    page.goto(base + "/")  # restored on the server, with the new title
    expect(feed_titles(page).first).to_have_text("Deploy skipped the database migrations")
