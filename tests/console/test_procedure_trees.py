"""手続きナビの編集 in the console (issue #16), in headless Chromium against the running demo: a broken
edit shows the loader's problem with its line (and the line is marked), a valid edit lists every path
through the questions with its result, and once published the 手続きナビ page (the resident's, in the
same browser) asks the new question — without a restart. axe-core and a screenshot on every screen."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.async_api import Page, expect

from tests.admin_api.test_procedure_trees import SHOMEI, SMALL
from tests.browser import chromium
from tests.console.conftest import Demo, running_demo
from tests.console.test_console import WAIT, console_page, look, sign_in

NEW_QUESTION = "どの証明書をお求めですか？"


async def open_console_page(page: Page, demo: Demo, title: str) -> None:
    """Signed in as the administrator, on the console page ``title`` (its navigation link and heading)."""
    await sign_in(page, demo, demo.login, demo.password)
    await page.get_by_role("navigation", name="機能").get_by_role("link", name=title).click()
    await expect(page.get_by_role("heading", name=title, level=1)).to_be_visible(timeout=WAIT)


async def test_a_tree_edited_checked_previewed_and_published_in_the_console(tmp_path: Path) -> None:
    async with running_demo(tmp_path) as demo, chromium() as browser:
        async with console_page(browser, 1280, 900) as page:
            await open_console_page(page, demo, "手続きナビの編集")
            await expect(page.get_by_role("button", name="「証明書の請求」を編集")).to_be_visible(timeout=WAIT)
            await look(page, "procedure-trees-list")

            await page.get_by_role("button", name="「証明書の請求」を編集").click()
            source = page.get_by_label(re.compile("^YAML"))
            await expect(source).to_have_value(SHOMEI, timeout=WAIT)
            await expect(page.get_by_test_id("tree-paths").locator("tbody tr")).to_have_count(16, timeout=WAIT)
            await look(page, "procedure-trees-editor")

            # a label too long for a LINE button: the loader's problem, with its line, marked in the gutter
            broken = SHOMEI.replace("label: 住民票の写し", "label: 住民票の写し（本人・同じ世帯の方が請求する場合）", 1)
            line = next(i for i, t in enumerate(broken.splitlines(), 1) if "住民票の写し（" in t) - 1
            await source.fill(broken)
            await page.get_by_role("button", name="下書きを保存して確認").click()
            problems = page.get_by_test_id("tree-problems")
            await expect(problems).to_contain_text(f"{line}行目", timeout=WAIT)
            await expect(problems).to_contain_text("questions[0].options[0].label")
            await expect(problems).to_contain_text("20文字以内")
            await expect(page.locator(".tree-editor .gutter span.err")).to_have_text([str(line)])
            await look(page, "procedure-trees-problem")
            await problems.get_by_role("button", name=f"{line}行目").click()
            selected = await source.evaluate("a => a.value.slice(a.selectionStart, a.selectionEnd)")
            assert selected.strip() == "- value: jumin"

            # a valid edit: every path with its result, then published
            await source.fill(SMALL.replace("どの証明書が必要ですか？", NEW_QUESTION))
            await page.get_by_role("button", name="下書きを保存して確認").click()
            await expect(page.get_by_test_id("tree-ok")).to_be_visible(timeout=WAIT)
            rows = page.get_by_test_id("tree-paths").locator("tbody tr")
            await expect(rows).to_have_count(3, timeout=WAIT)
            await expect(rows.nth(2)).to_contain_text("手続きはありません")
            await look(page, "procedure-trees-preview")
            await page.get_by_role("button", name="公開する").click()
            await page.locator("#confirm-yes").click()
            await expect(page.get_by_role("status").filter(has_text="公開しました")).to_be_visible(timeout=WAIT)

            # the resident's 手続きナビ page asks the published question (reloaded, not restarted)
            resident = await page.context.new_page()
            for _ in range(100):
                await resident.goto(f"{demo.url}/liff/procedures/")
                await resident.get_by_role("button", name=re.compile("証明書の請求")).click()
                await resident.locator("#q-text").wait_for()
                if await resident.locator("#q-text").text_content() == NEW_QUESTION:
                    break
                await resident.wait_for_timeout(100)
            await expect(resident.locator("#q-text")).to_have_text(NEW_QUESTION)
            await resident.close()
