"""安否確認 in the console (issue #22), headless Chromium against the running demo: staff send a safety
check (confirmed), see it listed with its tallies by district, and close it; axe-core on the page."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import expect

from tests.browser import chromium
from tests.console.conftest import running_demo
from tests.console.test_console import WAIT, add_friends, console_page, look, sign_in


async def test_staff_send_a_safety_check_see_the_tallies_and_close_it(tmp_path: Path) -> None:
    async with running_demo(tmp_path) as demo, chromium() as browser:
        await add_friends(demo, ["山田 花子", "佐藤 一郎"])
        async with console_page(browser, 1280, 800) as page:
            await sign_in(page, demo, demo.login, demo.password)
            await page.get_by_role("navigation", name="機能").get_by_role("link", name="安否確認").click()
            await expect(page.get_by_role("heading", name="安否確認を送る")).to_be_visible(timeout=WAIT)
            await look(page, "safety")

            await page.get_by_label("タイトル").fill("大雨による避難指示")
            await expect(page.get_by_label("送り先")).to_have_value("")  # 友だち全員 unless a segment is chosen
            await page.get_by_role("button", name="送る", exact=True).click()
            dialog = page.locator("#confirm")
            await expect(dialog).to_contain_text("友だち全員に緊急配信", timeout=WAIT)
            await dialog.get_by_role("button", name="送る").click()
            row = page.locator("#safety-checks tbody tr").first
            await expect(row).to_contain_text("大雨による避難指示", timeout=WAIT)
            await expect(row).to_contain_text("受付中")
            await expect(page.locator("#safety-detail h2")).to_have_text("大雨による避難指示（受付中）", timeout=WAIT)
            await expect(page.locator("#safety-help caption")).to_contain_text("支援が必要な人（0人")
            await look(page, "safety-sent")

            await page.get_by_role("button", name="受付を終了する").click()
            await dialog.get_by_role("button", name="終了する").click()
            await expect(page.locator("#safety-detail h2")).to_have_text("大雨による避難指示（終了）", timeout=WAIT)
            status, deliveries = await demo.admin_call("GET", "/deliveries", token=await demo.token(demo.login,
                                                                                                     demo.password))
            assert status == 200 and any(d["urgent"] and d["title"].startswith("安否確認") for d in deliveries)
