"""シナリオ in the console (issue #16), in headless Chromium against the running demo: a scenario built as
a tree of steps (messages and buttons, a button leading to a new step), saved as a draft and published;
axe-core and a screenshot on every screen."""

from __future__ import annotations

from pathlib import Path

import aiohttp
from playwright.async_api import expect

from tests.browser import chromium
from tests.console.conftest import Demo, running_demo
from tests.console.test_console import WAIT, console_page, look
from tests.console.test_content import ask_until, sim_url
from tests.console.test_procedure_trees import open_console_page


async def friend_of_test_account(demo: Demo, name: str) -> str:
    """A friend of the town's test LINE account (the demo's ``test`` channel in linesim)."""
    async with aiohttp.ClientSession() as http, http.post(
            f"{sim_url(demo)}/linesim/api/users", params={"channel": "test"}, json={"displayName": name, "follow": True}) as r:
        assert r.status == 201, await r.text()
        return (await r.json())["userId"]


async def test_a_scenario_built_as_a_tree_of_steps_and_published(tmp_path: Path) -> None:
    async with running_demo(tmp_path) as demo, chromium() as browser:
        async with console_page(browser, 1280, 900) as page:
            await open_console_page(page, demo, "シナリオ")
            await expect(page.get_by_role("button", name="新しいシナリオを作る")).to_be_visible(timeout=WAIT)
            await look(page, "scenarios-list")
            await page.get_by_role("button", name="新しいシナリオを作る").click()
            await expect(page.get_by_role("heading", name="「新しいシナリオ」の編集")).to_be_visible(timeout=WAIT)
            await page.get_by_label("名前", exact=True).fill("犬の登録")
            await page.get_by_label("始めるキーワード（、で区切る）").fill("犬、犬の登録")
            await page.get_by_label("ステップ「start」のメッセージ1").fill("犬を飼い始めましたか？")
            await page.get_by_role("button", name="ステップ「start」にボタンを追加").click()
            await page.get_by_label("ステップ「start」のボタン1の文字").fill("はい")
            await page.get_by_label("ステップ「start」のボタン1の行き先の種類").select_option("next")
            await page.get_by_label("ステップ「start」のボタン1の次のステップ").select_option("__new")
            tree = page.get_by_test_id("scenario-tree")
            await expect(tree.locator('[data-node="step1"]')).to_be_visible()
            # a step no button leads to is listed apart and can be deleted
            await page.get_by_label("ステップ「start」のボタン1の次のステップ").select_option("__new")
            await page.get_by_role("button", name="ステップ「step1」を削除").click()
            await page.get_by_label("ステップ「step2」のメッセージ1").fill("30日以内に環境課で登録してください。")
            await expect(page.get_by_role("button", name="ステップ「step1」を削除")).to_have_count(0)
            await look(page, "scenarios-editor")
            await page.get_by_role("button", name="下書きを保存", exact=True).click()
            await expect(page.get_by_role("status").filter(has_text="下書きを保存しました")).to_be_visible(timeout=WAIT)
            # tried on the test account (the demo's test channel): the draft answers there before it is published
            await expect(page.get_by_role("link", name="テスト用アカウントのシミュレーターで試す（新しいタブ）")).to_be_visible()
            tester = await friend_of_test_account(demo, "試験 太郎")
            await ask_until(demo, tester, "犬の登録をしたい", "犬を飼い始めましたか？", channel="test")
            await page.get_by_role("button", name="公開する").click()
            await page.locator("#confirm-yes").click()
            await expect(page.get_by_role("status").filter(has_text="公開しました")).to_be_visible(timeout=WAIT)
            await expect(page.get_by_text("状態: 公開中")).to_be_visible()
        token = await demo.token(demo.login, demo.password)
        _, rows = await demo.admin_call("GET", "/scenarios", token=token)
        made = next(r for r in rows if r["title"] == "犬の登録")
        _, detail = await demo.admin_call("GET", f"/scenarios/{made['id']}", token=token)
        published = detail["published"]
        assert published["keywords"] == ["犬", "犬の登録"]
        assert published["nodes"]["start"]["options"] == [{"label": "はい", "next": "step2"}]
        assert sorted(published["nodes"]) == ["start", "step2"] and published["nodes"]["step2"]["messages"] == ["30日以内に環境課で登録してください。"]
