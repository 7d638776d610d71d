"""Without JavaScript every feature still works: plain forms, redirects and flash messages."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, Response, expect

from tests.browser.conftest import BrowserProblems, LiveServer
from tests.browser.helpers import feed_titles, quick_entry_title, register

pytestmark = pytest.mark.browser

SAVED = "Saved. Thank you for sharing what you learned."


def posted_to(base_url: str, path: str) -> Callable[[Response], bool]:
    """A predicate for ``expect_response``: the POST to ``path`` (not what it redirects to)."""

    def matches(response: Response) -> bool:
        return response.request.method == "POST" and response.url == base_url + path

    return matches


def test_quick_entry_and_its_errors_without_javascript(
    nojs_page: Page, live_server: LiveServer, problems: BrowserProblems
) -> None:
    page = nojs_page
    base = live_server.base_url
    register(page, base, "Linus")

    quick_entry_title(page).fill("Printed the staging config in production")
    with page.expect_response(posted_to(base, "/entries")) as posted:
        page.keyboard.press("Enter")
    assert posted.value.status == 303
    assert posted.value.request.header_value("HX-Request") is None, "htmx ran"
    expect(page).to_have_url(base + "/")
    expect(page.locator(".flash-success")).to_have_text(SAVED)
    expect(feed_titles(page)).to_have_text(["Printed the staging config in production"])

    # An empty title: the form comes back with its error, status 422.
    problems.expect_status(422, "/entries")
    with page.expect_response(posted_to(base, "/entries")) as posted:
        page.get_by_role("button", name="Save", exact=True).click()
    assert posted.value.status == 422
    expect(page.get_by_role("alert")).to_have_text(
        "Please correct the marked field; your text is kept."
    )
    title = quick_entry_title(page)
    expect(title).to_have_attribute("aria-invalid", "true")
    expect(title).to_have_accessible_description("Please fill this in.")

    # The error page is a working form: fixing the title saves the entry.
    title.fill("Second try: read the error first")
    page.get_by_role("button", name="Save entry").click()
    expect(page).to_have_url(base + "/")
    expect(page.locator(".flash-success")).to_have_text(SAVED)
    expect(feed_titles(page)).to_have_text(
        ["Second try: read the error first", "Printed the staging config in production"]
    )


def test_edit_delete_and_undo_without_javascript(nojs_page: Page, live_server: LiveServer) -> None:
    page = nojs_page
    base = live_server.base_url
    register(page, base, "Katherine")
    quick_entry_title(page).fill("Rounded currency amounts twice")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".flash-success")).to_have_text(SAVED)

    page.get_by_role("link", name="Rounded currency amounts twice").click()
    expect(page).to_have_url(re.compile(r"/entries/\d+$"))
    entry_url = page.url

    # Edit is its own page; saving goes back to the entry page.
    page.get_by_role("link", name="Edit").click()
    expect(page).to_have_url(entry_url + "/edit")
    page.get_by_label("What went wrong, or what did you learn?").fill(
        "Rounded currency amounts twice, in two services"
    )
    page.get_by_role("button", name="Save changes").click()
    expect(page).to_have_url(entry_url)
    expect(page.locator(".flash-success")).to_have_text("Changes saved.")
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text("Rounded currency amounts twice, in two services")

    # Delete goes to the feed, with an Undo button in the flash.
    with page.expect_response(posted_to(base, entry_url.removeprefix(base) + "/delete")) as done:
        page.get_by_role("button", name="Delete").click()
    assert done.value.status == 303
    expect(page).to_have_url(base + "/")
    flash = page.locator(".flash").filter(has_text="Entry deleted.")
    expect(flash).to_be_visible()
    expect(feed_titles(page)).not_to_contain_text(["Rounded currency amounts twice"])

    flash.get_by_role("button", name="Undo").click()
    expect(page).to_have_url(entry_url)
    expect(page.locator(".flash-success")).to_have_text("Entry restored.")
    expect(heading).to_have_text("Rounded currency amounts twice, in two services")
    page.goto(base + "/")
    expect(feed_titles(page).first).to_have_text("Rounded currency amounts twice, in two services")
