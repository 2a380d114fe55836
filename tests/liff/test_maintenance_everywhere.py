"""Issue #18: the maintenance notice is announced on every citizen's page the service serves — the
LIFF pages (booking, forms, 手続きナビ, the facility map) and the web chat — in headless Chromium
(guarded: no JavaScript error, no CSP violation under each page's own policy)."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.async_api import expect

from bot.appkeys import CLOCK, DATABASE
from bot.service import build_service
from civic.maintenance.services import Notice, schedule
from tests.bot.helpers import make_settings

PAGES = ["/liff/booking/", "/liff/forms/", "/liff/procedures/", "/liff/procedures/counter", "/liff/map/",
         "/liff/webchat/"]
#: Set to a directory to keep a screenshot of each page with its banner.
SHOTS = os.environ.get("MADOGUCHI_SCREENSHOTS", "")


@pytest.fixture(scope="module")
def knowledge():
    from bot.dialogue_wiring import build_knowledge

    return build_knowledge(make_settings("sqlite+aiosqlite://"))


async def test_every_citizen_page_announces_the_maintenance(aiohttp_server, sqlite_db, knowledge, page) -> None:
    app = build_service(make_settings(sqlite_db.url), knowledge=knowledge)
    server = await aiohttp_server(app)
    now = app[CLOCK].now()
    async with app[DATABASE].write() as s:
        await schedule(s, Notice(now + timedelta(days=2), now + timedelta(days=2, hours=4),
                                 "システムの点検のため、この時間は各ページをご利用いただけません。"), by="kanri", now=now)
    for path in PAGES:
        await page.goto(str(server.make_url(path)))
        banner = page.get_by_role("status").filter(has_text="メンテナンスのお知らせ")
        await expect(banner, f"no banner on {path}").to_be_visible()
        await expect(banner).to_contain_text("各ページをご利用いただけません")
        if path == "/liff/webchat/":  # the banner shrinks the chat: its input stays on the screen
            await expect(page.get_by_role("textbox")).to_be_in_viewport()
        if SHOTS:
            name = path.strip("/").replace("/", "-")
            await page.screenshot(path=str(Path(SHOTS) / f"maintenance-{name}.png"), full_page=True)
