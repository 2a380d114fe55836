"""Headless Chromium for page tests: Debian's /usr/bin/chromium driven by Playwright (never a download).

The root ``conftest.py`` turns these into the ``browser`` and ``page`` fixtures every page test uses.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from playwright.async_api import Browser, Page, async_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


@contextlib.asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            await browser.close()


@contextlib.asynccontextmanager
async def phone_page(browser: Browser, width: int = 390, height: int = 844) -> AsyncIterator[Page]:
    """A phone-sized page; JavaScript errors on the page fail the test."""
    context = await browser.new_context(viewport={"width": width, "height": height}, locale="ja-JP")
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    await context.close()
    assert errors == [], errors


@contextlib.asynccontextmanager
async def chromium_page(width: int = 390, height: int = 844) -> AsyncIterator[Page]:
    async with chromium() as browser, phone_page(browser, width, height) as page:
        yield page
