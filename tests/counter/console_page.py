"""A signed-in console page of the counter role, for the browser tests (console errors collected)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from tests.browser import axe_violations, guard

SHOTS = Path("/tmp/console-shots")


async def signed_in(browser: Any, base: str, login: str = "kanri") -> tuple[Any, Any, list[str]]:
    """(context, page, errors): a Japanese-locale page signed in as ``login`` (password staff-pass-2026)."""
    context = await browser.new_context(locale="ja-JP", viewport={"width": 1280, "height": 900}, accept_downloads=True)
    errors: list[str] = []
    page = await context.new_page()
    guard(page, errors)
    page.on("console", lambda m: m.type == "error" and not m.text.startswith("Failed to load resource")
            and errors.append(m.text))
    await page.goto(f"{base}/admin/")
    await page.locator('input[autocomplete="username"]').fill(login)
    await page.locator('input[autocomplete="current-password"]').fill("staff-pass-2026")
    await page.get_by_role("button", name="ログイン").click()
    return context, page, errors


async def looked_at(page: Any, name: str) -> None:
    """axe-core finds nothing on the page, and a screenshot of it is kept to be looked at."""
    found = await axe_violations(page)
    assert found == [], found
    await asyncio.to_thread(SHOTS.mkdir, exist_ok=True)
    await page.screenshot(path=SHOTS / f"{name}.png", full_page=True)
