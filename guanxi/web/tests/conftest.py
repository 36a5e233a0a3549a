"""Fixtures of the browser tests: one headless Chromium per module, a fresh context per test.

Chromium is Debian's (/usr/bin/chromium); Playwright never downloads a browser here, and
the flags keep Chromium from reaching the internet, which is closed in CI.
"""

import os

import pytest
from playwright.sync_api import expect, sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 10_000


@pytest.fixture(scope="module")
def browser():
    """Start Playwright and Chromium once for the module's tests.

    Playwright's sync API keeps an asyncio loop marked as running on the main thread while
    it is started, and Django then refuses ORM calls from that thread. The refusal is
    lifted only while the browser runs, and the browser lives for one module (not the whole
    session) so that tests collected after it get Django's protection back.
    """
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    expect.set_options(timeout=TIMEOUT_MS)
    try:
        yield chromium
    finally:
        chromium.close()
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def new_page(browser):
    """Return a function opening a page in a fresh browser context with the given locale."""
    contexts = []

    def open_page(locale: str = "en-US"):
        context = browser.new_context(locale=locale, viewport={"width": 1400, "height": 900})
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page):
    """Return a page of an English (en-US) browser."""
    return new_page("en-US")
