"""The home page with demo data, saved as a PNG for the docs (`make screenshot`).

Runs only when LEARNAPP_SCREENSHOT names the output file, e.g.
``LEARNAPP_SCREENSHOT=docs/home.png .venv/bin/pytest tests/browser/test_screenshot.py``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from learnapp import demo
from tests.browser.conftest import run_live_server
from tests.browser.helpers import feed_titles, log_in

TARGET = os.environ.get("LEARNAPP_SCREENSHOT", "")

pytestmark = [
    pytest.mark.browser,
    # Skipped before any fixture runs, so no browser starts for nothing.
    pytest.mark.skipif(
        not TARGET, reason="set LEARNAPP_SCREENSHOT=path/to/file.png to save a screenshot"
    ),
]


@pytest.fixture
def screenshot_path() -> Path:
    """Where to save the screenshot: LEARNAPP_SCREENSHOT, relative to the working directory."""
    return Path(TARGET)


def test_home_page_screenshot(page: Page, screenshot_path: Path, tmp_path: Path) -> None:
    with run_live_server(tmp_path, prepare=demo.seed) as server:
        page.set_viewport_size({"width": 1280, "height": 900})
        log_in(page, server.base_url, demo.DEMO_EMAIL, demo.DEMO_PASSWORD)
        expect(feed_titles(page).first).to_be_visible()

        screenshot_path.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=screenshot_path, animations="disabled")
    assert screenshot_path.stat().st_size > 10_000, "the screenshot looks empty"
