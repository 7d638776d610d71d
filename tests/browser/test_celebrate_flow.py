"""Celebrating in the browser: cheer a done improvement on the board and see the count change
in place; open your own history and load more without a reload."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Page, expect

from learnapp.extensions import db
from learnapp.improvements.models import Improvement, Status, StatusChange
from learnapp.models import Entry, User
from learnapp.security import hash_password
from tests.browser.conftest import BrowserProblems, LiveServer
from tests.browser.helpers import PASSWORD, SameDocument, htmx_settled, log_in

pytestmark = pytest.mark.browser

CheckA11y = Callable[[Page, str], None]


@pytest.fixture
def organisation(live_server: LiveServer) -> dict[str, str]:
    """Grace finished an improvement today; Alan logged five lessons over five weeks."""
    now = datetime.now(UTC)
    with live_server.app.app_context():
        secret = hash_password(PASSWORD)
        grace = User(email="grace-cheer@example.com", display_name="Grace", password_hash=secret)
        alan = User(email="alan-cheer@example.com", display_name="Alan", password_hash=secret)
        db.session.add_all([grace, alan])
        entry = Entry(author=grace, title="Stale cache", idempotency_key="board-1")
        improvement = Improvement(
            entry=entry,
            owner=grace,
            created_by=grace,
            title="Purge the CDN on deploy",
            status=Status.DONE,
            priority=2,
            idempotency_key="board-i1",
            created_at=now - timedelta(days=2),
            done_at=now - timedelta(minutes=5),
        )
        improvement.history.append(
            StatusChange(from_status=None, to_status=Status.PROPOSED, changed_by=grace)
        )
        for week in range(5):
            db.session.add(
                Entry(
                    author=alan,
                    title=f"Alan's lesson {week}",
                    idempotency_key=f"alan-{week}",
                    created_at=now - timedelta(weeks=week),
                )
            )
        db.session.add_all([entry, improvement])
        db.session.commit()
    live_server.app.config["FEED_PAGE_SIZE"] = 2
    return {"alan": "alan-cheer@example.com"}


def test_cheer_on_the_board_then_load_more_of_my_history(
    page: Page,
    live_server: LiveServer,
    organisation,
    check_a11y: CheckA11y,
    problems: BrowserProblems,
) -> None:
    base = live_server.base_url
    log_in(page, base, organisation["alan"])
    page.get_by_role("link", name="Celebrate").click()
    page.wait_for_load_state("load")
    item = page.locator(".improvement").filter(has_text="Purge the CDN on deploy")
    expect(item).to_contain_text("by Grace")
    check_a11y(page, "the celebration board")

    same_page = SameDocument(page)
    cheer = item.get_by_role("button", name="Cheer")
    expect(cheer).to_have_attribute("aria-pressed", "false")
    cheer.click()
    htmx_settled(page)
    expect(cheer).to_have_attribute("aria-pressed", "true")
    expect(cheer.locator(".count")).to_have_text("1")
    cheer.click()
    htmx_settled(page)
    expect(cheer.locator(".count")).to_have_text("0")
    same_page.check()

    page.get_by_role("link", name="My lessons").click()
    page.wait_for_load_state("load")
    titles = page.locator("#history-list article h3")
    expect(titles).to_have_count(2)
    history = SameDocument(page)
    page.get_by_role("link", name="Load more entries").click()
    htmx_settled(page)
    expect(titles).to_have_count(4)
    page.get_by_role("link", name="Load more entries").click()
    htmx_settled(page)
    expect(titles).to_have_count(5)
    expect(page.get_by_role("link", name="Load more entries")).to_have_count(0)
    history.check()
    check_a11y(page, "my history")
    problems.fail_if_any("after the celebration flow")
