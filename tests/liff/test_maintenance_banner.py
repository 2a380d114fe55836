"""The maintenance banner on a LIFF page in headless Chromium (guarded: no JavaScript error, no CSP
violation; axe-core WCAG 2.x AA): announced in advance, as the service serves it."""

from __future__ import annotations

from datetime import timedelta

from aiohttp import web
from playwright.async_api import expect

from bot.maintenance import banner_script, maintenance_view
from civic.booking.services import BookingService
from civic.clock import TOKYO
from civic.maintenance.services import Notice, schedule
from liff.booking.app import BookingDeps, create_booking_liff_app
from liff.identity import StaticIdTokenVerifier
from tests.booking.town import NOW, build_town
from tests.browser import axe_violations


async def test_the_booking_page_announces_the_maintenance(sqlite_db, aiohttp_server, page) -> None:
    town = await build_town(sqlite_db)
    now = town.clock.now()
    async with sqlite_db.write() as s:
        await schedule(s, Notice(now + timedelta(days=1), now + timedelta(days=1, hours=3), "予約の受付を停止します。"),
                       by="kanri", now=now)
    app = web.Application()
    app.router.add_get("/api/maintenance", maintenance_view(sqlite_db, town.clock))  # as bot.service.spine mounts them
    app.router.add_get("/api/maintenance.js", banner_script)
    app.add_subapp("/liff/booking", create_booking_liff_app(
        BookingDeps(sqlite_db, town.clock, BookingService(sqlite_db, town.clock)),
        StaticIdTokenVerifier({"tok-alice": "Ualice"})))
    server = await aiohttp_server(app)
    await page.clock.set_fixed_time(NOW)
    await page.goto(str(server.make_url("/liff/booking/")) + "?id_token=tok-alice")
    banner = page.get_by_role("status").filter(has_text="メンテナンスのお知らせ")
    await expect(banner).to_be_visible()
    await expect(banner).to_contain_text("予約の受付を停止します。")
    start = (now + timedelta(days=1)).astimezone(TOKYO)
    await expect(banner).to_contain_text(f"{start.month}月{start.day}日 {start:%H:%M}〜")  # in Japan time
    assert not await axe_violations(page)
