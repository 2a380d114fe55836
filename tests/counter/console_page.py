"""A signed-in console page of the counter role, for the browser tests (console errors collected)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
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


@asynccontextmanager
async def counter_service(tmp_path: Path) -> AsyncIterator[str]:
    """The counter role served on a free port with its own SQLite database and staff ``kanri`` (admin);
    yields the base URL."""
    from aiohttp import web

    from admin_api.keys import ADMIN_CONTEXT
    from bot.counter_role import CounterSettings, build_counter_app
    from bot.migrate import upgrade
    from civic.clock import SystemClock
    from civic.counter.desk import CounterDesk
    from civic.counter.ocr.engines import TesseractEngine
    from civic.procedures.payload import QrKeyring
    from civic.staff.services import create_staff
    from tests.bot.processes import free_port
    from tests.conftest import TEST_KEY
    from tests.counter.conftest import QR_KEY, TOWN

    url = f"sqlite+aiosqlite:///{tmp_path / 'counter.db'}"
    await asyncio.to_thread(upgrade, url, url)
    settings = CounterSettings(bytes.fromhex(TEST_KEY), url, tmp_path / "qr.key", Path("content"), "midori")
    app = build_counter_app(settings, desk=CounterDesk.for_town(TOWN, TesseractEngine, QrKeyring(QR_KEY)))
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    sub = next(r._app for r in app.router.resources() if getattr(r, "_app", None) is not None)
    await create_staff(sub[ADMIN_CONTEXT].db, SystemClock(), "kanri", "staff-pass-2026", "窓口 係長", "admin")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()
