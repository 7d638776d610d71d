"""Fixtures for the browser suite: a live server, Debian's Chromium, watched contexts and pages.

Every page a test opens is watched. Console errors, uncaught page errors, failed requests and
HTTP responses >= 400 fail the test unless the test declared the status first with
``problems.expect_status(422, "/entries")``.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask_migrate import upgrade
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Playwright,
    Request,
    Response,
    sync_playwright,
)
from playwright.sync_api import Error as PlaywrightError
from werkzeug.serving import WSGIRequestHandler, make_server

from learnapp import create_app
from learnapp.config import PROJECT_ROOT
from learnapp.extensions import db
from tests.browser import axe
from tests.conftest import empty_database_url

CHROMIUM_DEFAULT = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
HTMX_PATH = PROJECT_ROOT / "static" / "vendor" / "htmx.min.js"
ARTIFACTS = PROJECT_ROOT / "test-artifacts" / "browser"
TIMEOUT_MS = 5_000
VIEWPORT = {"width": 1280, "height": 900}
# Chromium's own console line for every response >= 400; the response itself is checked too.
LOAD_FAILED = re.compile(r"Failed to load resource: the server responded with a status of (\d+)")


def missing(reason: str) -> NoReturn:
    """Skip for a missing prerequisite; fail instead when the CI environment variable is set."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set, so this is a failure, not a skip)", pytrace=False)
    pytest.skip(reason)


# --- The live server -----------------------------------------------------------------------


@dataclass(frozen=True)
class LiveServer:
    """A learnapp on its own migrated database, served over HTTP from a thread."""

    app: Flask
    base_url: str

    def url(self, path: str = "/") -> str:
        """The absolute URL of ``path`` on this server."""
        return self.base_url + path


class QuietRequestHandler(WSGIRequestHandler):
    """Serves requests without logging each one (errors are still logged)."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


@contextmanager
def run_live_server(
    folder: Path, prepare: Callable[[], None] | None = None
) -> Iterator[LiveServer]:
    """Serve a new app whose database and instance folder live in ``folder``.

    ``prepare`` runs inside the app context after the migrations (to seed data, say).
    """
    if not HTMX_PATH.is_file():
        missing(f"{HTMX_PATH.relative_to(PROJECT_ROOT)} is missing: run `make install`")
    with pytest.MonkeyPatch.context() as patch:
        # The instance path is read once, when the app is created.
        patch.setenv("LEARNAPP_INSTANCE_PATH", str(folder / "instance"))
        app = create_app(
            {
                "TESTING": True,
                "SECRET_KEY": "browser-test-secret",
                "DATABASE_URL": empty_database_url(folder),
                "SQLITE_BUSY_TIMEOUT_MS": 2000,
            }
        )
    with app.app_context():
        upgrade()
        if prepare is not None:
            prepare()
        db.session.remove()
    # Port 0: the OS picks a free port.
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietRequestHandler)
    thread = threading.Thread(target=server.serve_forever, name="learnapp-live", daemon=True)
    thread.start()
    try:
        yield LiveServer(app, f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server shared by the tests of one module; it starts with an empty database."""
    with run_live_server(tmp_path_factory.mktemp("live")) as server:
        yield server


@pytest.fixture
def fresh_server(tmp_path: Path) -> Iterator[LiveServer]:
    """A server of this test's own, on an empty database (about 0.2 s to start)."""
    with run_live_server(tmp_path) as server:
        yield server


# --- Chromium ------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def chromium_executable() -> str:
    """Path of Chromium: LEARNAPP_CHROMIUM or /usr/bin/chromium (skip, or fail in CI, if absent)."""
    path = os.environ.get("LEARNAPP_CHROMIUM") or CHROMIUM_DEFAULT
    if not (Path(path).is_file() and os.access(path, os.X_OK)):
        missing(
            f"no Chromium at {path}: install Debian's chromium package or set LEARNAPP_CHROMIUM"
        )
    return path


@pytest.fixture(scope="session")
def playwright_driver(chromium_executable: str) -> Iterator[Playwright]:
    """Playwright's driver for the whole session."""
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright_driver: Playwright, chromium_executable: str) -> Iterator[Browser]:
    """One headless Chromium for the session; each test gets its own context in it."""
    launched = playwright_driver.chromium.launch(
        executable_path=chromium_executable, args=CHROMIUM_ARGS, headless=True
    )
    yield launched
    launched.close()


# --- Watching pages for problems -----------------------------------------------------------


@dataclass
class ExpectedStatus:
    """An HTTP status >= 400 a test declared it causes on purpose."""

    status: int
    path: str | None
    seen: int = 0

    def matches(self, status: int, url: str) -> bool:
        return status == self.status and (self.path is None or urlsplit(url).path == self.path)

    def __str__(self) -> str:
        return f"HTTP {self.status}" + (f" for {self.path}" if self.path else "")


@dataclass
class BrowserProblems:
    """Everything that went wrong in the pages of one test, which then fails."""

    problems: list[str] = field(default_factory=list)
    expected: list[ExpectedStatus] = field(default_factory=list)
    pages: list[Page] = field(default_factory=list)
    reported: int = 0
    closing: bool = False

    def expect_status(self, status: int, path: str | None = None) -> None:
        """Declare that responses with ``status`` (for URL path ``path``, or any) are intended.

        Declare before the request. A declared status that never arrives fails the test too.
        """
        self.expected.append(ExpectedStatus(status, path))

    def watch(self, page: Page) -> None:
        """Record ``page``'s console errors, page errors, failed requests and HTTP errors."""
        if any(seen is page for seen in self.pages):
            return
        self.pages.append(page)
        page.on("console", self._on_console)
        page.on("pageerror", self._on_page_error)
        page.on("requestfailed", self._on_request_failed)
        page.on("response", self._on_response)

    def _on_console(self, message: ConsoleMessage) -> None:
        if message.type != "error":
            return
        load_failed = LOAD_FAILED.match(message.text)
        if load_failed and any(e.status == int(load_failed[1]) for e in self.expected):
            return  # the response itself was checked against the declared path
        where = message.location.get("url", "")
        self.problems.append(f"console error: {message.text}" + (f" ({where})" if where else ""))

    def _on_page_error(self, error: PlaywrightError) -> None:
        self.problems.append(f"uncaught error in the page: {error.message}")

    def _on_request_failed(self, request: Request) -> None:
        if self.closing:
            return  # closing the context aborts whatever is still loading
        self.problems.append(f"request failed ({request.failure}): {request.method} {request.url}")

    def _on_response(self, response: Response) -> None:
        if response.status < 400:
            return
        for expected in self.expected:
            if expected.matches(response.status, response.url):
                expected.seen += 1
                return
        self.problems.append(
            f"unexpected HTTP {response.status}: {response.request.method} {response.url}"
        )

    def settle(self) -> None:
        """Give events still on their way from the browser a moment to arrive."""
        for page in self.pages:
            if not page.is_closed():
                page.wait_for_timeout(100)
                return

    def unreported(self) -> list[str]:
        """Problems not reported yet (and expected statuses that never came); marks them."""
        new = self.problems[self.reported :]
        self.reported = len(self.problems)
        return new

    def unmet(self) -> list[str]:
        return [f"expected {e} but it never came" for e in self.expected if not e.seen]

    def fail_if_any(self, when: str, include_unmet: bool = False) -> None:
        found = self.unreported() + (self.unmet() if include_unmet else [])
        if found:
            pytest.fail(
                f"the browser reported problems {when}:\n  " + "\n  ".join(found), pytrace=False
            )


@pytest.fixture
def problems() -> Iterator[BrowserProblems]:
    """The problem log every page of this test reports to (see ``expect_status``)."""
    log = BrowserProblems()
    yield log
    # Runs after the contexts closed: catches what arrived late.
    log.fail_if_any("after the test")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """Fail a passing test whose pages had problems; on failure add them and a screenshot."""
    log = getattr(item, "funcargs", {}).get("problems")
    if not isinstance(log, BrowserProblems):
        return (yield)
    try:
        result = yield
    except BaseException as error:
        log.settle()
        found = log.unreported()
        if found:
            error.add_note("The browser also reported:\n  " + "\n  ".join(found))
        for path in _screenshot_open_pages(log, item.name):
            error.add_note(f"Screenshot: {path}")
        raise
    log.settle()
    log.fail_if_any("during the test", include_unmet=True)
    return result


def _screenshot_open_pages(log: BrowserProblems, test_name: str) -> list[Path]:
    """Save a screenshot of each page still open, for a failed test; returns the paths."""
    saved = []
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", test_name)
    for number, page in enumerate(log.pages):
        if page.is_closed():
            continue
        path = ARTIFACTS / f"{stem}-{number}.png"
        try:
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=path, full_page=True, timeout=TIMEOUT_MS)
        except PlaywrightError:
            continue
        saved.append(path)
    return saved


# --- Contexts and pages --------------------------------------------------------------------


def _open_context(
    browser: Browser, problems: BrowserProblems, java_script_enabled: bool
) -> Iterator[BrowserContext]:
    context = browser.new_context(
        java_script_enabled=java_script_enabled,
        viewport=VIEWPORT,
        locale="en-GB",
        timezone_id="UTC",
    )
    context.set_default_timeout(TIMEOUT_MS)
    context.on("page", problems.watch)
    yield context
    problems.closing = True
    context.close()


@pytest.fixture
def context(browser: Browser, problems: BrowserProblems) -> Iterator[BrowserContext]:
    """A fresh browser context (own cookies and storage) with JavaScript on."""
    yield from _open_context(browser, problems, java_script_enabled=True)


@pytest.fixture
def nojs_context(browser: Browser, problems: BrowserProblems) -> Iterator[BrowserContext]:
    """A fresh browser context with JavaScript turned off: htmx and app.js never run."""
    yield from _open_context(browser, problems, java_script_enabled=False)


@pytest.fixture
def page(context: BrowserContext, problems: BrowserProblems) -> Page:
    """A watched page in a JavaScript-enabled context."""
    opened = context.new_page()
    problems.watch(opened)
    return opened


@pytest.fixture
def nojs_page(nojs_context: BrowserContext, problems: BrowserProblems) -> Page:
    """A watched page in a context without JavaScript."""
    opened = nojs_context.new_page()
    problems.watch(opened)
    return opened


@pytest.fixture
def check_a11y() -> Callable[[Page, str], None]:
    """``check_a11y(page, "where")`` runs axe-core and fails on serious/critical violations."""
    if not axe.AXE_PATH.is_file():
        missing(f"{axe.AXE_PATH.relative_to(PROJECT_ROOT)} is missing: run `make install`")
    return axe.assert_accessible
