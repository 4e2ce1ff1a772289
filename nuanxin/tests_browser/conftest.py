"""Browser tests: Debian's Chromium, driven by Playwright's sync API, against pytest-django's
live server. They run in the normal suite and need no network: Playwright does not download
a browser here, it launches /usr/bin/chromium (which `make test` installs when missing)."""

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import pytest
from playwright.sync_api import Browser, Page, ViewportSize, sync_playwright

from nuanxin.testing import PASSWORD

# Playwright's sync API keeps an asyncio event loop running on the main thread from start to
# stop, so Django sees "a running loop" and refuses ORM calls from the (synchronous) tests and
# fixtures in this process. Nothing here is async, so the check does not apply.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
# A context's offline switch does not reach the service worker's own requests; with this flag
# (read when Playwright starts) they can be routed, so an offline test can refuse them too
# (test_offline_journey.py; microsoft/playwright#2311).
os.environ["PW_EXPERIMENTAL_SERVICE_WORKER_NETWORK_EVENTS"] = "1"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
DESKTOP = ViewportSize(width=1280, height=800)
PHONE = ViewportSize(width=390, height=844)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def open_page(browser: Browser, live_server: Any) -> Iterator[Any]:
    """open_page(viewport=PHONE) -> a fresh page on the live server, as a browser set to Chinese
    (without the service worker unless `service_workers="allow"`).

    A JavaScript error on any page fails the test: pages work for a person only if their scripts run."""
    contexts = []
    script_errors: list[str] = []

    def make(viewport: ViewportSize = DESKTOP, *, service_workers: Literal["allow", "block"] = "block") -> Page:
        # The service worker's own requests (sw.js, the offline page) run beside the page's.
        # On the test server's shared in-memory SQLite a read meeting a write fails at once
        # ("database table is locked": a sign-in failed so) instead of waiting as it does on a
        # real database; so only the offline journey, which is about the worker, lets it run.
        context = browser.new_context(
            base_url=live_server.url, locale="zh-CN", viewport=viewport, service_workers=service_workers
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: script_errors.append(f"{page.url}: {error}"))
        return page

    yield make
    for context in contexts:
        context.close()
    assert not script_errors, f"JavaScript errors: {script_errors}"


def sign_in(page: Page, username: str) -> None:
    """Sign in through the real login form, as a person would."""
    page.goto("/accounts/login/")
    form = page.locator("main form")
    form.locator("input[name=username]").fill(username)
    form.locator("input[name=password]").fill(PASSWORD)
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    assert "/accounts/login/" not in page.url, f"{username} could not sign in"


def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
