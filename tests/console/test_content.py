"""The FAQ and the garbage dictionary in the console (issue #16), in headless Chromium against the
running demo: an FAQ written and published in the console is what a citizen gets in the chat (linesim)
seconds later, without a restart; an edit of its answer too; another town's 5374 target.csv (Shift_JIS)
imported from the console and an item of it asked in the chat; "try it" on both pages; axe-core on
every screen."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import aiohttp
from playwright.async_api import expect

from tests.admin_api.test_content_api import OTHER_TOWN_TARGET
from tests.browser import chromium
from tests.console.conftest import Demo, running_demo
from tests.console.test_console import WAIT, console_page, look, sign_in

QUESTION = "ドローンを飛ばしてもいいですか"


def sim_url(demo: Demo) -> str:
    host, port = demo.url.rsplit(":", 1)
    return f"{host}:{int(port) + 101}"


async def ask_until(demo: Demo, user: str, text: str, wanted: str, *, guard: float = 60.0,
                    channel: str | None = None) -> None:
    """The citizen asks ``text`` (again every second) until an answer holds ``wanted`` (``channel``: linesim's)."""
    on = {"channel": channel} if channel else {}
    async with aiohttp.ClientSession() as http, asyncio.timeout(guard):
        seen = 0
        while True:
            async with http.post(f"{sim_url(demo)}/linesim/api/users/{user}/actions", params=on,
                                 json={"type": "text", "text": text}) as r:
                assert r.status < 300, await r.text()
            await asyncio.sleep(1.0)
            async with http.get(f"{sim_url(demo)}/linesim/api/users/{user}/timeline", params={"after": str(seen), **on}) as r:
                entries = (await r.json())["entries"]
            if entries:
                seen = max(e["seq"] for e in entries)
            said = [json.dumps(e, ensure_ascii=False) for e in entries if e.get("sender") == "bot"]
            if any(wanted in s for s in said):
                return


async def citizen(demo: Demo, name: str) -> str:
    async with aiohttp.ClientSession() as http, http.post(
            f"{sim_url(demo)}/linesim/api/users", json={"displayName": name, "follow": True}) as r:
        assert r.status == 201, await r.text()
        return (await r.json())["userId"]


async def test_an_faq_published_in_the_console_is_answered_in_the_chat(tmp_path: Path) -> None:
    async with running_demo(tmp_path) as demo, chromium() as browser:
        user = await citizen(demo, "山田 花子")
        async with console_page(browser, 1280, 800) as page:
            await sign_in(page, demo, demo.login, demo.password)
            await page.get_by_role("navigation", name="機能").get_by_role("link", name="FAQ").click()
            await expect(page.get_by_role("heading", name="FAQ", level=1)).to_be_visible(timeout=WAIT)
            await expect(page.get_by_role("table", name="FAQ", exact=False)).to_be_visible(timeout=WAIT)
            await look(page, "faq-list")
            # try it: the question the town has no answer for yet
            await page.get_by_label("試す言葉").fill("住民票の写しはどこで取れますか")
            await page.get_by_role("button", name="試す", exact=True).click()
            await expect(page.get_by_test_id("faq-try-outcome")).to_contain_text("結果:", timeout=WAIT)
            await expect(page.get_by_role("table", name="見つかった FAQ（順位順）")).to_contain_text("住民票")
            await look(page, "faq-try")
            # a new entry, published
            await page.get_by_role("button", name="新しい FAQ を作る").click()
            await page.get_by_label("質問", exact=True).fill(QUESTION)
            await page.get_by_label("別の聞き方（1行に1つ）").fill("ドローンの飛行\nドローンを使いたい")
            await page.get_by_label("回答").fill("ドローンの飛行は建設課（0000-00-1181）にご相談ください。")
            await page.get_by_label("分類", exact=True).fill("くらし")
            await look(page, "faq-editor")
            await page.get_by_role("button", name="公開する").click()
            await expect(page.get_by_role("status").filter(has_text="公開しました")).to_be_visible(timeout=WAIT)
            await ask_until(demo, user, QUESTION, "建設課（0000-00-1181）")
            # its answer edited in the console: the chat answers the new one
            await page.get_by_label("質問・回答・キーワードで検索").fill("ドローン")
            await page.get_by_role("button", name="検索", exact=True).click()
            await page.get_by_role("button", name=f"「{QUESTION}」を編集").click()
            await page.get_by_label("回答").fill("ドローンは町の公園では飛ばせません（改定）。")
            await page.get_by_role("button", name="保存して公開").click()
            await expect(page.get_by_role("status").filter(has_text="公開しました")).to_be_visible(timeout=WAIT)
            await ask_until(demo, user, QUESTION, "飛ばせません（改定）")
            await page.get_by_label("試す言葉").fill("ドローンを飛ばしたい")
            await page.get_by_role("button", name="試す", exact=True).click()
            await expect(page.get_by_role("table", name="見つかった FAQ（順位順）").locator("tbody tr").first
                         ).to_contain_text(QUESTION, timeout=WAIT)


async def test_a_5374_target_csv_imported_in_the_console_is_answered_in_the_chat(tmp_path: Path) -> None:
    target = tmp_path / "target.csv"
    target.write_bytes(OTHER_TOWN_TARGET.encode("cp932"))
    async with running_demo(tmp_path) as demo, chromium() as browser:
        user = await citizen(demo, "佐藤 一郎")
        async with console_page(browser, 1280, 800) as page:
            await sign_in(page, demo, demo.login, demo.password)
            await page.get_by_role("navigation", name="機能").get_by_role("link", name="ごみ分別辞書").click()
            await expect(page.get_by_role("heading", name="ごみ分別辞書", level=1)).to_be_visible(timeout=WAIT)
            await expect(page.get_by_role("table", name="品目", exact=False)).to_be_visible(timeout=WAIT)
            await look(page, "garbage-list")
            await page.get_by_label("試す言葉").fill("ペットボトル")
            await page.get_by_role("button", name="試す", exact=True).click()
            await expect(page.get_by_test_id("garbage-try-outcome")).to_contain_text("ペットボトル", timeout=WAIT)
            await page.get_by_label("target.csv（品目、必須）").set_input_files(str(target))
            await page.get_by_role("button", name="取り込む").click()
            await page.get_by_role("button", name="置き換える").click()  # the confirmation
            await expect(page.get_by_role("status").filter(has_text="品目の合計 4件")).to_be_visible(timeout=WAIT)
            await expect(page.get_by_text("取り込めなかった行（1件）")).to_be_visible()
            await look(page, "garbage-imported")
            await ask_until(demo, user, "ぬいぐるみは何ごみですか", "もえるごみ")
            await page.get_by_role("button", name="「サバ缶」を編集").click()
            await look(page, "garbage-editor")


async def test_a_group_of_unanswered_questions_becomes_an_faq_in_the_console(tmp_path: Path) -> None:
    question = "宇宙人の住民登録はできますか"
    async with running_demo(tmp_path) as demo, chromium() as browser:
        users = [await citizen(demo, f"市民{i}") for i in range(2)]
        token = await demo.token(demo.login, demo.password)
        async with aiohttp.ClientSession() as http:
            for user, text in zip(users, [question, "宇宙人は住民登録できますか"], strict=True):
                async with http.post(f"{sim_url(demo)}/linesim/api/users/{user}/actions",
                                     json={"type": "text", "text": text}) as r:
                    assert r.status < 300
        for _ in range(100):  # both recorded as questions the bot could not answer
            status, body = await demo.admin_call("GET", "/faq/unanswered/count", token=token)
            if body.get("open", 0) >= 2:
                break
            await asyncio.sleep(0.2)
        assert body["open"] >= 2, body
        async with console_page(browser, 1280, 800) as page:
            await sign_in(page, demo, demo.login, demo.password)
            await page.get_by_role("navigation", name="機能").get_by_role("link", name="FAQ").click()
            group = page.get_by_role("article", name="宇宙人", exact=False).first
            await expect(group).to_be_visible(timeout=WAIT)
            await expect(page.get_by_test_id("fallback-rate")).to_contain_text("答えられなかった割合")
            await look(page, "faq-unanswered")
            await group.get_by_label("回答").fill("宇宙人の方の住民登録については、住民課（0000-00-1121）にご相談ください。")
            await group.get_by_role("button", name="FAQ を作って公開する").click()
            await expect(page.get_by_role("status").filter(has_text="に反映しました")).to_be_visible(timeout=WAIT)
            await expect(page.get_by_role("article", name="宇宙人", exact=False)).to_have_count(0, timeout=WAIT)
        await ask_until(demo, users[0], question, "住民課（0000-00-1121）にご相談")
