"""The LIFF booking page in headless Chromium: the calendar's marks, then a booking end to end.

Offline there is no LIFF SDK: the page takes the ID token from ``?id_token=`` (as the local
emulator passes it) and the server verifies it; the browser's clock is frozen with the server's.
The page is a guarded one (``tests.browser``): a JavaScript error or a CSP violation fails the test,
and axe-core checks each screen (WCAG 2.x AA).
"""

from __future__ import annotations

import re
from datetime import date

from playwright.async_api import expect

from civic.booking.services import BookingService
from liff.booking.app import BookingDeps, create_booking_liff_app
from liff.identity import StaticIdTokenVerifier
from tests.booking.town import NOW, build_town, citizen
from tests.browser import axe_violations


async def test_book_a_slot_end_to_end(sqlite_db, aiohttp_server, page) -> None:
    town = await build_town(sqlite_db)
    svc = BookingService(sqlite_db, town.clock)
    # Someone has the afternoon of 12/5; the whole court is gone all day on 12/12.
    await svc.reserve(town.request("gym.half-a", time="13:00-17:00"), citizen("Uother"))
    for i, time in enumerate(("9:00-12:00", "13:00-17:00", "18:00-21:00")):
        await svc.reserve(town.request("gym.whole", day=date(2026, 12, 12), time=time), citizen(f"Ubusy{i}"))
    app = create_booking_liff_app(BookingDeps(sqlite_db, town.clock, svc), StaticIdTokenVerifier({"tok-alice": "Ualice"}))
    server = await aiohttp_server(app)
    await page.clock.set_fixed_time(NOW)
    await page.goto(str(server.make_url("/")) + "?id_token=tok-alice")

    await expect(page.get_by_role("button", name="半面A")).to_be_visible()
    assert not await axe_violations(page)  # the facilities
    await page.get_by_role("button", name="半面A").click()
    await expect(page.get_by_role("heading", level=3, name="2026年11月")).to_be_visible()
    assert "id_token" not in page.url  # the token left the address bar
    holiday = page.locator('[data-day="2026-11-23"]')
    await expect(holiday).to_have_accessible_name(re.compile("^11月\\s?23\\s?日\\(月\\)\\s?空きあり$"))
    closed = page.locator('[data-day="2026-11-24"]')
    await expect(closed).to_have_accessible_name(re.compile("^11月\\s?24\\s?日\\(火\\)\\s?休館\\s?定休日$"))
    assert not await axe_violations(page)  # names match what the buttons show (WCAG 2.5.3), contrast, …
    await expect(page.locator('[data-day="2026-11-24"]')).to_be_disabled()  # closure moved after the holiday
    await expect(page.locator('[data-day="2026-11-19"]')).to_be_disabled()  # past
    await page.get_by_role("button", name="次の月").click()
    await expect(page.get_by_role("heading", level=3, name="2026年12月")).to_be_visible()
    marks = {d: await page.locator(f'[data-day="2026-12-{d:02d}"] .m').text_content()
             for d in (5, 6, 7, 12, 19)}
    assert marks == {5: "○", 6: "—", 7: "—", 12: "×", 19: "○"}

    await page.locator('[data-day="2026-12-05"]').click()
    await expect(page.get_by_role("heading", name="12月5日(土) の予約枠")).to_be_focused()
    await expect(page.locator('[data-start="780"]')).to_be_disabled()
    assert not await axe_violations(page)  # the day's frames
    await page.locator('[data-start="540"]').click()
    await page.get_by_label("ご利用人数").fill("12")
    await page.get_by_label("利用目的").select_option("バドミントン")
    await page.get_by_label("ネット").fill("1")
    await page.get_by_label("お名前（団体名）").fill("みどりバドミントンクラブ")
    await page.get_by_role("textbox", name=re.compile("^電話番号")).fill("090-1111-2222")
    await page.get_by_role("button", name="確認へ進む").click()
    await expect(page.get_by_role("alert")).to_have_text("遵守事項への同意が必要です。")
    assert not await axe_violations(page)  # the form, with its error
    await page.get_by_label("遵守事項を確認し、同意します").check()
    await page.get_by_role("button", name="確認へ進む").click()
    await expect(page.locator("#fee")).to_have_text("合計 1,300円")
    assert not await axe_violations(page)  # the confirmation
    await page.get_by_role("button", name="この内容で予約する").click()
    number = page.locator("#reservation-number")
    await expect(number).to_have_text(re.compile(r"^\d{4}-\d{5}$"))
    assert not await axe_violations(page)  # done
    [mine] = await svc.my_reservations("Ualice")
    assert mine.number == await number.text_content() and mine.people == 12 and mine.purpose == "バドミントン"
    assert mine.equipment == (("ネット", 1, "組"),)

    await page.get_by_role("button", name="予約の確認へ").click()
    card = page.locator(f'[data-number="{mine.number}"]')
    await expect(card).to_contain_text("12月5日(土) 9:00〜12:00")
    assert not await axe_violations(page)  # the citizen's bookings
    await page.get_by_role("button", name="予約する", exact=True).first.click()  # the header's 予約する
    await page.get_by_role("button", name="半面A").click()
    await page.get_by_role("button", name="次の月").click()
    await expect(page.locator('[data-day="2026-12-05"] .m')).to_have_text("△")  # two of three frames gone
