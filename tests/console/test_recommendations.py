"""おすすめ in the console (headless Chromium against the running demo): the demo's rules with how many
citizens each reaches, a new rule built with the segment condition editor and its live count; axe-core
on the list and the editor at 1280×800 and 768×1024."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import expect

from tests.browser import chromium
from tests.console.conftest import running_demo
from tests.console.test_console import SIZES, WAIT, add_friends, console_page, look, sign_in


async def test_list_edit_and_count(tmp_path: Path) -> None:
    async with running_demo(tmp_path) as demo, chromium() as browser:
        await add_friends(demo, ["山田 花子", "佐藤 一郎"])
        for size, (w, h) in SIZES.items():
            async with console_page(browser, w, h) as page:
                await sign_in(page, demo, demo.login, demo.password)
                await page.get_by_role("link", name="おすすめ").click()
                await expect(page.get_by_role("heading", name="おすすめ", level=1)).to_be_visible()
                await expect(page.get_by_role("cell", name="1歳6か月児健康診査のご案内", exact=True)).to_be_visible(timeout=WAIT)
                await expect(page.get_by_role("cell", name="介護予防教室「いきいき体操」", exact=True)).to_be_visible()
                await expect(page.get_by_role("cell", name="0人", exact=True).first).to_be_visible()  # no one registered a child
                await look(page, "recommendations")
                await page.get_by_role("button", name="新しいおすすめを作る").click()
                count = page.get_by_test_id("recommendation-count")
                await expect(count).to_contain_text("いま該当する人: 2人", timeout=WAIT)
                await page.get_by_role("button", name="条件を追加").click()
                await page.get_by_label("項目").select_option("friend_days")
                await page.get_by_label("から").fill("0")
                await page.get_by_label("に当てはまらない人").check()
                await expect(count).to_contain_text("いま該当する人: 0人", timeout=WAIT)
                await page.get_by_label("見出し").fill(f"新しく友だちになった方へ{size}")
                await page.get_by_label("説明").fill("町の公式アカウントの使い方をご案内します。")
                await look(page, "recommendation-editor")
                await page.get_by_role("button", name="保存する").click()
                await expect(page.get_by_role("status").filter(has_text="保存しました")).to_be_visible(timeout=WAIT)
                await expect(page.get_by_role("cell", name=f"新しく友だちになった方へ{size}", exact=True)).to_be_visible()
        token = await demo.token(demo.login, demo.password)
        status, rules = await demo.admin_call("GET", "/recommendations", token=token)
        assert status == 200 and len(rules) == 6
        assert rules[-1]["filter"]["items"][0]["type"] == "not"
