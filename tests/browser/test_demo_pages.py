"""The pages with realistic data (the demo organisation): accessible, and "load more" works."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Page, expect

from learnapp import demo
from tests.browser.conftest import LiveServer, run_live_server
from tests.browser.helpers import SameDocument, feed_titles, htmx_settled, log_in

pytestmark = pytest.mark.browser

CheckA11y = Callable[[Page, str], None]


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server with the demo data: two teams, six people, 40 entries."""
    with run_live_server(tmp_path_factory.mktemp("demo"), prepare=demo.seed) as server:
        yield server


@pytest.fixture
def ada(page: Page, demo_server: LiveServer) -> Page:
    """``page``, signed in as the demo admin (Ada), on the feed."""
    log_in(page, demo_server.base_url, demo.DEMO_EMAIL, demo.DEMO_PASSWORD)
    return page


def test_pages_with_demo_data_pass_axe(
    ada: Page, demo_server: LiveServer, check_a11y: CheckA11y
) -> None:
    check_a11y(ada, "the feed")
    ada.get_by_role("link", name="Checkout down for 25 minutes (SEV2)", exact=True).click()
    expect(ada.get_by_role("heading", level=1)).to_have_text("Checkout down for 25 minutes (SEV2)")
    check_a11y(ada, "an incident's page")
    for path, where in [
        ("/?kind=incident", "the feed filtered to incidents"),
        ("/entries/new", "the full entry form"),
        ("/settings", "the settings page"),
        ("/admin", "the admin page"),
    ]:
        ada.goto(demo_server.url(path))
        check_a11y(ada, where)


def test_load_more_appends_and_keeps_the_keyboard_in_place(
    ada: Page, check_a11y: CheckA11y
) -> None:
    expect(feed_titles(ada)).to_have_count(25)
    first_page = feed_titles(ada).all_text_contents()
    same_page = SameDocument(ada)

    ada.get_by_role("link", name="Load more entries").focus()
    ada.keyboard.press("Enter")
    expect(ada.get_by_role("link", name="Load more entries")).to_have_count(0)  # all shown
    htmx_settled(ada)
    titles = feed_titles(ada).all_text_contents()
    assert titles[:25] == first_page
    assert len(titles) > 25
    assert len(set(titles)) == len(titles), "an entry came twice"
    expect(feed_titles(ada).nth(25).get_by_role("link")).to_be_focused()
    same_page.check()
    check_a11y(ada, "the feed after loading more")
