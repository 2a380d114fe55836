"""The shelter staff's phone page (issue #22), headless Chromium on a phone-sized screen against the
running demo: a staff member whose role may only update shelters signs in, chooses the shelter, sets
it 開設 and counts people in with a few taps; the count reaches the API. axe-core on each screen."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import expect

from tests.browser import chromium
from tests.console.conftest import running_demo
from tests.console.test_console import WAIT, console_page, look


async def test_shelter_staff_update_a_count_from_a_phone(tmp_path: Path) -> None:
    async with running_demo(tmp_path) as demo, chromium() as browser:
        admin = await demo.token(demo.login, demo.password)
        status, _ = await demo.admin_call("POST", "/roles", {"key": "shelter", "name": "避難所担当",
                                                             "permissions": ["disaster.read", "disaster.shelters"]},
                                          token=admin)
        assert status == 201
        await demo.add_staff("hinan01", "避難所 受付", "shelter pw 12345", "shelter")
        async with console_page(browser, 390, 844) as page:
            await page.goto(f"{demo.url}/admin/shelter")
            await expect(page.get_by_role("heading", name="避難所の受付 ログイン")).to_be_visible(timeout=WAIT)
            await look(page, "shelter-signin")
            await page.get_by_label("ログインID").fill("hinan01")
            await page.get_by_label("パスワード").fill("shelter pw 12345")
            await page.get_by_role("button", name="ログイン").click()
            await expect(page.get_by_role("heading", name="担当の避難所を選ぶ")).to_be_visible(timeout=WAIT)
            await page.get_by_label("避難所").select_option(label="みどり町立中央小学校 体育館")
            await page.get_by_role("button", name="この避難所を担当する").click()
            await expect(page.get_by_role("heading", name="みどり町立中央小学校 体育館")).to_be_visible(timeout=WAIT)
            await look(page, "shelter-count")

            await page.get_by_role("radio", name="開設", exact=True).check()
            await page.get_by_role("button", name="10人増やす").click()
            await page.get_by_role("button", name="10人増やす").click()
            await page.get_by_role("button", name="1人増やす").click()
            await page.get_by_role("button", name="1人減らす").click()
            await page.get_by_role("button", name="1人増やす").click()
            await expect(page.get_by_label("いま避難している人数")).to_have_value("21")
            await page.get_by_role("button", name="保存する").click()
            await expect(page.get_by_role("status").filter(has_text="開設・21人で保存しました")).to_be_visible(timeout=WAIT)

            # the shelter is remembered on this phone; the count is what the town sees
            await page.reload()
            await expect(page.get_by_label("いま避難している人数")).to_have_value("21", timeout=WAIT)
            status, shelters = await demo.admin_call("GET", "/shelters", token=admin)
            school = next(s for s in shelters if s["name"] == "みどり町立中央小学校 体育館")
            assert (school["state"], school["occupancy"], school["updated_by"]) == ("open", 21, "hinan01")
