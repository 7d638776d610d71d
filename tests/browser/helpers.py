"""Steps several browser tests share: make an account, log in, find the quick entry."""

from __future__ import annotations

import itertools

from playwright.sync_api import Frame, Locator, Page, expect

PASSWORD = "correct horse battery"
QUICK_ENTRY_LABEL = "What went wrong, or what did you learn?"
_numbers = itertools.count(1)


def unique_email(name: str) -> str:
    """An address no other test of this run uses."""
    return f"{name.lower()}-{next(_numbers)}@example.com"


def register(page: Page, base_url: str, name: str, email: str | None = None) -> str:
    """Create an account through /register (lands on the feed, signed in); returns the email."""
    email = email or unique_email(name)
    page.goto(base_url + "/register")
    fill_registration(page, name, email)
    page.get_by_role("button", name="Create account").click()
    expect(page).to_have_url(base_url + "/")
    # Let the feed finish loading its scripts: navigating on at once aborts them (a failure).
    page.wait_for_load_state("load")
    return email


def fill_registration(page: Page, name: str, email: str) -> None:
    """Fill the registration form without submitting it."""
    page.get_by_label("Your name").fill(name)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)


def log_in(page: Page, base_url: str, email: str, password: str = PASSWORD) -> None:
    """Sign in through /login; lands on the feed."""
    page.goto(base_url + "/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(base_url + "/")
    page.wait_for_load_state("load")


def quick_entry_title(page: Page) -> Locator:
    """The quick entry's title box, found by its visible label."""
    return page.get_by_label(QUICK_ENTRY_LABEL)


def feed_titles(page: Page) -> Locator:
    """The entry titles in the feed, newest first."""
    return page.locator("#feed-list article h3")


def htmx_settled(page: Page) -> None:
    """Wait until htmx has no request in flight and has settled what it swapped in.

    htmx inserts new content at once but wires up its ``hx-*`` attributes only when it settles
    (20 ms later); a form submitted in between is a plain, full-page POST.
    """
    busy = page.locator(".htmx-request, .htmx-swapping, .htmx-settling, .htmx-added")
    expect(busy).to_have_count(0)


class SameDocument:
    """Proves a page was never navigated nor reloaded while htmx did its work.

    It leaves ``window.__marker = 42`` in the page, remembers the URL and counts the main
    frame's navigations and load events; ``check()`` fails if any of them changed.
    """

    def __init__(self, page: Page) -> None:
        self.page = page
        self.url = page.url
        self.navigations = 0
        self.loads = 0
        page.on("framenavigated", self._on_navigated)
        page.on("load", self._on_load)
        page.evaluate("() => { window.__marker = 42; }")

    def _on_navigated(self, frame: Frame) -> None:
        if frame == self.page.main_frame:
            self.navigations += 1

    def _on_load(self, _page: Page) -> None:
        self.loads += 1

    def check(self) -> None:
        """Fail if the page navigated, reloaded or changed its URL since it was marked."""
        assert self.page.evaluate("() => window.__marker") == 42, "the page was reloaded"
        assert self.page.url == self.url, f"the URL changed to {self.page.url}"
        assert (self.navigations, self.loads) == (0, 0), (
            f"{self.navigations} navigation(s) and {self.loads} load(s) happened"
        )
