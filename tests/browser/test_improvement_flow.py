"""An improvement from idea to practice in the browser: proposed inline and moved to done
without a reload under htmx, and the same with plain forms when JavaScript is off."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import BrowserProblems, LiveServer
from tests.browser.helpers import SameDocument, htmx_settled, quick_entry_title, register

pytestmark = pytest.mark.browser

CheckA11y = Callable[[Page, str], None]
CHANGE = "Purge the CDN whenever a price changes"


def open_new_lesson(page: Page, base: str, title: str) -> None:
    """Log ``title`` from the home page and open its entry page."""
    quick_entry_title(page).fill(title)
    page.keyboard.press("Enter")
    page.get_by_role("link", name=title).click()
    expect(page.get_by_role("heading", level=1, name=title)).to_be_visible()
    page.wait_for_load_state("load")


def improvement_item(page: Page):
    return page.locator(".improvement").filter(has_text=CHANGE)


def test_propose_inline_and_move_to_done_without_a_reload(
    page: Page, live_server: LiveServer, check_a11y: CheckA11y, problems: BrowserProblems
) -> None:
    base = live_server.base_url
    register(page, base, "Grace")
    open_new_lesson(page, base, "The CDN served yesterday's prices")
    section = page.locator("#improvements")
    expect(section).to_contain_text("No improvement yet")
    check_a11y(page, "an entry without improvements")

    same_page = SameDocument(page)
    page.get_by_label("What will change?").fill(CHANGE)
    page.get_by_label("Priority").select_option("1")
    with page.expect_response(re.compile(r"/entries/\d+/improvements$")) as posted:
        page.get_by_role("button", name="Add improvement").click()
    assert posted.value.status == 200
    assert posted.value.request.header_value("HX-Request") == "true"
    htmx_settled(page)
    item = improvement_item(page)
    expect(item).to_contain_text("Proposed")
    expect(item).to_contain_text("Owner Grace")
    expect(page.locator("#improvement-counts")).to_have_text("(1 · 0 done)")
    expect(page.get_by_label("What will change?")).to_have_value("")

    for button, status in (("Plan it", "Planned"), ("Start", "In progress"), ("Mark done", "Done")):
        item.get_by_role("button", name=button).click()
        htmx_settled(page)
        expect(item.locator(".badge").first).to_have_text(status)
    expect(item).to_contain_text(re.compile(r"idea to practice in \d+ min"))
    expect(item.get_by_role("button", name="Reopen")).to_be_visible()
    expect(page.locator("#improvement-counts")).to_have_text("(1 · 1 done)")
    expect(item.get_by_role("link", name=CHANGE)).to_be_focused()
    expect(page.locator("#announcer")).to_contain_text("Moved to Done.")
    same_page.check()
    check_a11y(page, "an entry with a done improvement")

    page.goto(base + "/improvements?status=done")
    expect(improvement_item(page)).to_contain_text("Done")
    expect(page.locator(".figures")).to_contain_text("1 of 1 have a done improvement")
    check_a11y(page, "the backlog")
    problems.fail_if_any("after the flow")


def test_drop_asks_for_a_reason_in_place(
    page: Page, live_server: LiveServer, problems: BrowserProblems
) -> None:
    base = live_server.base_url
    register(page, base, "Alan")
    open_new_lesson(page, base, "Rolled back the wrong service")
    page.get_by_label("What will change?").fill(CHANGE)
    page.get_by_role("button", name="Add improvement").click()
    htmx_settled(page)
    item = improvement_item(page)

    problems.expect_status(422)
    item.get_by_text("Drop…").click()
    item.get_by_role("button", name="Drop").click()
    htmx_settled(page)
    expect(item).to_contain_text("Say why it is dropped, so others know.")
    reason = item.get_by_label("Why drop it?")
    expect(reason).to_be_focused()
    reason.fill("Renamed the services instead")
    item.get_by_role("button", name="Drop").click()
    htmx_settled(page)
    expect(item).to_contain_text("Dropped: Renamed the services instead")
    expect(page.locator("#improvement-counts")).to_have_text("(none yet)")


def test_improvement_flow_without_javascript(
    nojs_page: Page, live_server: LiveServer, problems: BrowserProblems
) -> None:
    page = nojs_page
    base = live_server.base_url
    register(page, base, "Katherine")
    open_new_lesson(page, base, "Forgot the feature flag")
    page.get_by_label("What will change?").fill(CHANGE)
    page.get_by_role("button", name="Add improvement").click()
    expect(page.locator(".flash-success")).to_have_text(f"Improvement added: {CHANGE}")
    for button, status in (("Start", "In progress"), ("Mark done", "Done")):
        improvement_item(page).get_by_role("button", name=button).click()
        expect(page.locator(".flash-success")).to_have_text(f"Moved to {status}.")
    expect(page).to_have_url(re.compile(r"/entries/\d+#improvement-\d+$"))
    expect(improvement_item(page).locator(".badge").first).to_have_text("Done")
