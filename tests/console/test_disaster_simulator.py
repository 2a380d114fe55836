"""The demo shows 防災モード in the chat simulator (issue #22), headless Chromium against the running demo:
a citizen's chat is open; staff switch to 警戒, then 災害 (admin API) and the simulator's menu becomes the
災害時メニュー as it happens; a 安否確認 arrives with its one-tap answers and the tap is counted;
switching back brings the usual menu back."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import expect

from tests.browser import chromium
from tests.console.conftest import running_demo
from tests.console.test_console import WAIT, console_page


async def test_the_simulator_shows_a_switch_to_disaster_and_back(tmp_path: Path) -> None:
    async with running_demo(tmp_path) as demo, chromium() as browser:
        admin = await demo.token(demo.login, demo.password)
        host, port = demo.url.rsplit(":", 1)
        async with console_page(browser, 420, 860) as page:
            await page.goto(f"{host}:{int(port) + 101}/simulator")
            await page.get_by_test_id("new-user-name").fill("山田 花子")
            await page.get_by_test_id("create-user").click()
            bot = page.get_by_test_id("bot-message")
            await expect(bot.filter(has_text="友だち追加ありがとうございます")).to_have_count(1, timeout=WAIT)
            toggle = page.get_by_test_id("richmenu-toggle")
            await expect(toggle).to_contain_text("メニュー", timeout=WAIT)

            status, body = await demo.admin_call("PUT", "/disaster-mode", {
                "mode": "alert", "reason": "大雨警報（土砂災害）", "confirm": True}, token=admin)
            assert status == 200 and body["history"][0]["menus"] == "applied", body
            await expect(toggle).to_contain_text("警戒時メニュー", timeout=WAIT)
            status, body = await demo.admin_call("PUT", "/disaster-mode", {
                "mode": "disaster", "reason": "避難指示（土砂災害）の発令", "confirm": True}, token=admin)
            assert status == 200 and body["history"][0]["menus"] == "applied", body
            await expect(toggle).to_contain_text("災害時メニュー", timeout=WAIT)
            await expect(page.locator('[data-testid="richmenu-area"][aria-label="近くの避難所"]')).to_have_count(1)

            status, check = await demo.admin_call("POST", "/safety-checks", {
                "title": "土砂災害の避難指示", "question": "みどり町に避難指示が出ています。状況を教えてください。"}, token=admin)
            assert status == 201, check
            await expect(bot.filter(has_text="【安否確認】土砂災害の避難指示")).to_have_count(1, timeout=WAIT)
            await page.get_by_test_id("quick-replies").get_by_text("無事", exact=True).click()
            await expect(bot.filter(has_text="「無事」と記録しました")).to_have_count(1, timeout=WAIT)
            status, tallies = await demo.admin_call("GET", f"/safety-checks/{check['id']}", token=admin)
            assert tallies["answered"] == 1 and tallies["counts"][0] == {"status": "safe", "label": "無事", "count": 1}

            status, body = await demo.admin_call("PUT", "/disaster-mode", {
                "mode": "normal", "reason": "避難指示の解除", "confirm": True}, token=admin)
            assert status == 200 and body["mode"] == "normal"
            await expect(toggle).not_to_contain_text("災害時メニュー", timeout=WAIT)
            await expect(page.locator('[data-testid="richmenu-area"][aria-label="ごみ分別"]')).to_have_count(1)
