"""Headless Chromium for page tests: Debian's /usr/bin/chromium driven by Playwright (never a download).

The root ``conftest.py`` turns these into the ``browser`` and ``page`` fixtures every page test uses.
A guarded page fails its test on a JavaScript error or a Content-Security-Policy violation (the
page's own CSP stays in force: nothing bypasses it). ``axe_violations`` runs the vendored axe-core
(``tests/vendor``) on whatever the page shows.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterable
from pathlib import Path
from typing import Any

from playwright.async_api import Browser, ConsoleMessage, Page, async_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
AXE = Path(__file__).with_name("vendor") / "axe.min.js"
#: What every citizen page must meet: WCAG 2.x A and AA, and axe's best practices (landmarks, zoom,
#: headings). ``label-content-name-mismatch`` (WCAG 2.5.3) is experimental in axe, so it is named.
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
EXPERIMENTAL = ["label-content-name-mismatch"]
#: A phone held as LINE's in-app browser reports itself (the viewport meta tag is honoured).
LINE_PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True,
              "has_touch": True, "user_agent": ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) "
                                                "AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Line/14.0.0")}


@contextlib.asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            await browser.close()


def _csp_violation(message: ConsoleMessage) -> str | None:
    text = message.text
    if message.type == "error" and "Content Security Policy" in text:
        return f"CSP: {text}"
    return None


def guard(page: Page, errors: list[str]) -> None:
    """Collect the page's JavaScript errors and CSP violations (of every page the context opens)."""
    page.on("pageerror", lambda exc: errors.append(f"{page.url}: {exc}"))
    page.on("console", lambda msg: (found := _csp_violation(msg)) and errors.append(f"{page.url}: {found}"))


@contextlib.asynccontextmanager
async def phone_page(browser: Browser, width: int = 390, height: int = 844, *,
                     line: bool = False) -> AsyncIterator[Page]:
    """A phone-sized page (``line``: as LINE's in-app browser on a phone); JavaScript errors and CSP
    violations on it, or on any page it opens, fail the test."""
    options: dict[str, Any] = dict(LINE_PHONE) if line else {"viewport": {"width": width, "height": height}}
    context = await browser.new_context(locale="ja-JP", **options)
    errors: list[str] = []
    context.on("page", lambda p: guard(p, errors))
    page = await context.new_page()
    yield page
    await context.close()
    assert errors == [], errors


@contextlib.asynccontextmanager
async def chromium_page(width: int = 390, height: int = 844, *, line: bool = False) -> AsyncIterator[Page]:
    async with chromium() as browser, phone_page(browser, width, height, line=line) as page:
        yield page


async def run_axe(page: Page, *, only: Iterable[str] = (), also: Iterable[str] = (),
                  exclude: Iterable[str] = ()) -> dict[str, Any]:
    """axe-core's result on what the page shows now.

    By default WCAG 2.x A/AA and best practices (``WCAG_AA``); ``only`` runs just the named rules,
    ``also`` adds rules (e.g. ``color-contrast-enhanced``, AAA); ``exclude`` lists selectors axe
    should not judge. axe is evaluated by the test driver, not added as a script tag, so the page's
    CSP stays on.
    """
    if not await page.evaluate("typeof window.axe !== 'undefined'"):
        await page.evaluate(AXE.read_text(encoding="utf-8"))
    rules = list(only)
    options: dict[str, Any] = (
        {"runOnly": {"type": "rule", "values": rules}} if rules else
        {"runOnly": {"type": "tag", "values": WCAG_AA},
         "rules": {rule: {"enabled": True} for rule in [*EXPERIMENTAL, *also]}})
    context = {"exclude": [[s] for s in exclude]} if exclude else None
    return await page.evaluate("([context, options]) => axe.run(context || document, options)", [context, options])


def findings(result: dict[str, Any]) -> list[str]:
    return [f"{v['id']} {n['target']}: {n['failureSummary']}" for v in result["violations"] for n in v["nodes"]]


async def axe_violations(page: Page, **options: Any) -> list[str]:
    """``run_axe``'s findings, one line per element (empty: none)."""
    result = await run_axe(page, **options)
    assert result["passes"], "axe checked nothing"
    return findings(result)


async def until(page: Page, predicate: str, arg: Any = None, *, seconds: float = 10.0) -> None:
    """Wait until the JavaScript function ``predicate(arg)`` is truthy on the page.

    ``page.wait_for_function`` evaluates a string predicate with ``eval`` inside the page, which a
    strict CSP refuses; this polls through the driver instead (as ``expect`` does).
    """
    try:
        async with asyncio.timeout(seconds):
            while not await page.evaluate(f"([arg]) => ({predicate})(arg)", [arg]):
                await asyncio.sleep(0.05)
    except TimeoutError:
        raise AssertionError(f"still false after {seconds}s: {predicate}") from None
