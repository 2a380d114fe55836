"""Staff console II's forms (issue #16) in headless Chromium against one running demo: the garbage dictionary's
collection areas and days (a wrong rule shown beside its field, a good one in the table in words) and its
categories; the 通報の回答テンプレート page (a template added there is offered on a report's status change);
a life event of 手続きナビ deleted after a confirmation. axe-core and a screenshot on every new screen."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.async_api import Page, expect

from tests.browser import chromium
from tests.console.conftest import running_demo
from tests.console.test_casework import citizen_reports
from tests.console.test_console import WAIT, console_page, look, sign_in
from tests.dialogues.conftest import INSIDE


async def go(page: Page, title: str) -> None:
    await page.get_by_role("navigation", name="機能").get_by_role("link", name=title, exact=True).click()
    await expect(page.get_by_role("heading", name=title, level=1)).to_be_visible(timeout=WAIT)


async def garbage_forms(page: Page) -> None:
    await go(page, "ごみ分別辞書")
    areas = page.get_by_role("table", name=re.compile(r"^収集地区と分別ごとの収集日（area_days\.csv、\d+件）$"))
    await expect(areas.locator("tr", has_text="本町")).to_contain_text("燃やすごみ: 毎週 月・木曜日（月 木）", timeout=WAIT)
    await page.get_by_role("navigation", name="このページの内容").get_by_role("link", name="収集地区と収集日").click()
    await expect(page.get_by_role("heading", name="収集地区と収集日")).to_be_focused()
    # 20 areas: ten a page, the last on the second
    await expect(areas.locator("tbody tr")).to_have_count(10)
    await expect(areas.locator("tbody tr", has_text="北原")).to_have_count(0)
    await page.get_by_role("button", name="次へ（地区）").click()
    await expect(areas.locator("tbody tr", has_text="北原")).to_have_count(1)
    await expect(page.get_by_text("2 / 2 ページ")).to_be_visible()
    await page.get_by_role("button", name="前へ（地区）").click()
    await page.get_by_role("button", name="地区「本町」を編集").click()
    burnable = page.get_by_label("燃やすごみ", exact=True)
    await expect(burnable).to_have_value("月 木")
    await burnable.fill("水6")
    await page.get_by_role("button", name="保存する").click()
    await expect(page.get_by_role("alert")).to_contain_text("第何週かは 1〜5", timeout=WAIT)
    await expect(burnable).to_have_attribute("aria-invalid", "true")
    await expect(burnable).to_be_focused()
    await look(page, "garbage-area-error")
    await burnable.fill("火 金")
    await page.get_by_role("button", name="保存する").click()
    await expect(page.get_by_role("status").filter(has_text="地区「本町」の収集日を保存しました")).to_be_visible(timeout=WAIT)
    await expect(areas.locator("tr", has_text="本町").first).to_contain_text("燃やすごみ: 毎週 火・金曜日（火 金）", timeout=WAIT)

    await page.get_by_role("button", name="地区を追加する").click()
    await page.get_by_label("地区の名前").fill("みどり台")
    await page.get_by_label("燃やすごみ", exact=True).fill("月 木")
    await look(page, "garbage-area-form")
    await page.get_by_role("button", name="保存する").click()
    await expect(areas).to_have_accessible_name("収集地区と分別ごとの収集日（area_days.csv、21件）", timeout=WAIT)
    await expect(areas.locator("tbody tr", has_text="みどり台")).to_have_count(0)  # on the third page
    await page.get_by_label("地区を絞り込み").fill("みどり台")
    await expect(areas.locator("tbody tr")).to_have_count(1)
    await expect(areas.locator("tr", has_text="みどり台")).to_contain_text("毎週 月・木曜日", timeout=WAIT)
    await page.get_by_label("地区を絞り込み").fill("火 金")  # the days as written: 本町 now, and eight areas before
    await expect(areas.locator("tbody tr")).to_have_count(9)
    await expect(areas.locator("tbody tr").first).to_contain_text("本町")
    await look(page, "garbage-areas-filtered")

    await page.get_by_role("button", name="分別を追加する").click()
    await page.get_by_label("分別の名前").fill("小型家電")
    await page.get_by_label("補足（どんなごみか）").fill("携帯電話・デジタルカメラなど")
    await page.get_by_label("出し方（住民への説明）").fill("役場1階の回収箱に入れてください。")
    await look(page, "garbage-category-form")
    await page.get_by_role("button", name="保存する").click()
    categories = page.get_by_role("table", name=re.compile(r"^分別と出し方（description\.csv、\d+件）$"))
    await expect(categories.locator("tr", has_text="小型家電")).to_contain_text("役場1階の回収箱", timeout=WAIT)
    await page.get_by_label("分別を絞り込み").fill("回収箱")
    await expect(categories.locator("tbody tr")).to_have_count(1)
    await expect(categories.locator("tbody tr")).to_contain_text("小型家電")
    items = page.get_by_role("table", name=re.compile(r"^品目（\d+件）$"))
    await page.get_by_label("表示中の品目を絞り込み").fill("ペットボトル")
    await expect(items.locator("tbody tr").first).to_contain_text("ペットボトル")
    await look(page, "garbage-categories-areas")


async def report_templates(page: Page) -> None:
    await go(page, "通報の回答テンプレート")
    await expect(page.get_by_role("table", name="「完了」の回答テンプレート（2件）")).to_contain_text(
        "補修が完了しました。ご連絡ありがとうございました。", timeout=WAIT)
    await look(page, "report-templates")
    await page.get_by_role("button", name="テンプレートを追加する").click()
    await page.get_by_label("使う状態").select_option(label="対応中")
    await page.get_by_label("見出し（職員が選ぶときの名前）").fill("業者に依頼済み")
    await page.get_by_label("通報者に届く文").fill("補修を業者に依頼しました。日程が決まりましたらお知らせします。")
    await page.get_by_label("並び順").fill("1")
    await look(page, "report-template-form")
    await page.get_by_role("button", name="保存する").click()
    await expect(page.get_by_role("table", name="「対応中」の回答テンプレート（3件）").locator("tbody tr").first
                 ).to_contain_text("業者に依頼済み", timeout=WAIT)
    # the 通報 page offers it when a report is moved to 対応中
    await go(page, "通報")
    await page.locator("tr[data-report]").first.get_by_role("button").click()
    await page.get_by_label("新しい状態").select_option(label="対応中")
    await page.get_by_label("回答テンプレート").select_option(label="業者に依頼済み")
    await expect(page.get_by_label("通報者へのお知らせ（担当者より）")).to_have_value(
        "補修を業者に依頼しました。日程が決まりましたらお知らせします。")


async def delete_life_event(page: Page) -> None:
    await go(page, "手続きナビの編集")
    await page.get_by_role("button", name="「死亡（ご家族が亡くなった）」を編集").click()
    await page.get_by_role("button", name="このライフイベントを削除").click()
    await expect(page.get_by_role("dialog")).to_contain_text("ライフイベント「死亡（ご家族が亡くなった）」を削除します", timeout=WAIT)
    await look(page, "procedure-trees-delete-confirm")
    await page.get_by_role("dialog").get_by_role("button", name="削除する").click()
    await expect(page.get_by_role("status").filter(has_text="「死亡（ご家族が亡くなった）」を削除しました")).to_be_visible(timeout=WAIT)
    await expect(page.get_by_role("button", name="「死亡（ご家族が亡くなった）」を編集")).to_have_count(0)
    await expect(page.get_by_role("button", name="「証明書の請求」を編集")).to_be_visible()


async def test_garbage_areas_categories_report_templates_and_a_deleted_life_event(tmp_path: Path) -> None:
    async with running_demo(tmp_path) as demo, chromium() as browser:
        await citizen_reports(demo, "通報 一郎", INSIDE, "みどり町本町1丁目", "歩道に大きな穴があります")
        refused = ("/garbage/areas/%E6%9C%AC%E7%94%BA",)  # 本町 with a wrong rule: the 422 the form shows
        async with console_page(browser, 1280, 900, allowed=refused, unreachable=("https://cyberjapandata.gsi.go.jp/",)) as page:
            await page.route("https://cyberjapandata.gsi.go.jp/**", lambda route: route.abort("internetdisconnected"))
            await sign_in(page, demo, demo.login, demo.password)
            await garbage_forms(page)
            await report_templates(page)
            await delete_life_event(page)
