"""The console's attributes, forms and Mail to LINE screens in headless Chromium against the running
demo (国富町 §9(2)(ア)①②④⑥, §9(3)(オ)⑦): add an attribute with choices, build a form from it, reorder
with the keyboard, preview; citizens answer through the LIFF forms API and staff see the tallies and
download the CSV; a mail rule previewed on a pasted mail; a held mail approved (with confirmation)
and delivered to citizens through linesim; a viewer sees no edit buttons and the API refuses its
edits; axe-core on every screen at 1280×800 and 768×1024."""

from __future__ import annotations

import asyncio
import json
from email.header import Header
from email.mime.text import MIMEText
from pathlib import Path

import aiohttp
from playwright.async_api import Page, expect

from tests.browser import chromium
from tests.console.conftest import Demo, running_demo
from tests.console.helpers import add_viewer
from tests.console.test_console import SIZES, WAIT, add_friends, console_page, sign_in
from tests.console.test_console import look as axe_and_shot

SIGNATURE = "大雨注意報が発表されました。\n川や用水路に近づかないでください。\n-- \nみどり町 総務課 防災係\n電話 0000-00-1111"


def sim_url(demo: Demo) -> str:
    return demo.url.rsplit(":", 1)[0] + f":{int(demo.url.rsplit(':', 1)[1]) + 101}"


async def friends(demo: Demo) -> list[str]:
    async with aiohttp.ClientSession() as http, http.get(f"{sim_url(demo)}/linesim/api/users") as r:
        return [u["userId"] for u in (await r.json())["users"]]


async def answer(demo: Demo, user: str, form: str, answers: dict) -> None:
    """A citizen answers on the LIFF forms page's API, with the ID token LINE (linesim) gives the page."""
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{sim_url(demo)}/linesim/api/id-tokens", json={"userId": user}) as r:
            token = (await r.json())["idToken"]
        async with http.post(f"{demo.url}/liff/forms/api/forms/{form}", json={"answers": answers},
                             headers={"Authorization": f"Bearer {token}"}) as r:
            assert r.status == 200, await r.text()


async def look(page: Page, name: str) -> None:
    """axe-core and a screenshot, after checking no "null" or "undefined" slipped onto the screen."""
    text = await page.locator("main").inner_text()
    assert "null" not in text and "undefined" not in text, text
    await axe_and_shot(page, name)


async def open_page(page: Page, name: str) -> None:
    await page.get_by_role("navigation", name="機能").get_by_role("link", name=name).click()
    await expect(page.get_by_role("heading", name=name, level=1)).to_be_visible(timeout=WAIT)


async def test_attribute_form_preview_answers_and_csv(tmp_path: Path) -> None:
    async with running_demo(tmp_path) as demo, chromium() as browser:
        await add_friends(demo, ["山田 花子", "佐藤 一郎", "鈴木 次郎"])
        async with console_page(browser, 1280, 800, allowed=("/attributes",)) as page:
            await sign_in(page, demo, demo.login, demo.password)
            await open_page(page, "属性")
            await page.get_by_role("button", name="新しい属性を追加").click()
            await page.get_by_label("名前（友だちに見える項目名）").fill("窓口の満足度")
            await page.get_by_label("キー（英小文字").fill("satisfaction")
            # a choice attribute without choices: the API's message beside the choices
            await page.get_by_role("button", name="保存する").click()
            await expect(page.locator("fieldset.choice-box + .field-error")).to_contain_text("選択肢", timeout=WAIT)
            await look(page, "attribute-editor-error")
            for code, label in [("good", "満足"), ("fair", "ふつう"), ("poor", "不満")]:
                await page.get_by_role("button", name="選択肢を追加").click()
                row = page.locator(".choice-row").last
                await row.get_by_label("コード").fill(code)
                await row.get_by_label("表示名").fill(label)
            # reorder with the keyboard: 不満 up one place, then back down
            await page.get_by_role("button", name="選択肢「不満」を上へ").focus()
            await page.keyboard.press("Enter")
            await expect(page.locator(".choice-row [data-k=label]").nth(1)).to_have_value("不満")
            await expect(page.get_by_role("button", name="選択肢「不満」を上へ")).to_be_focused()
            await page.get_by_role("button", name="選択肢「不満」を下へ").click()
            await expect(page.locator(".field-error")).to_have_count(0)  # cleared when choices were added
            await look(page, "attribute-editor")
            await page.get_by_role("button", name="保存する").click()
            await expect(page.get_by_role("status").filter(has_text="属性「窓口の満足度」を保存しました")).to_be_visible(timeout=WAIT)
            await page.get_by_role("searchbox", name="キーワードで絞り込み").fill("満足度")
            await expect(page.get_by_role("cell", name="満足、ふつう、不満")).to_be_visible()
            await look(page, "attributes")

            # a form from the new attribute and a built-in one; reorder; the preview follows
            await open_page(page, "フォーム")
            await page.get_by_role("button", name="新しいフォームを作る").click()
            await page.get_by_label("タイトル").fill("窓口満足度調査")
            await page.get_by_label("キー（英小文字").fill("madoguchi_survey")
            await page.get_by_label("追加する属性").select_option("satisfaction")
            await page.get_by_role("button", name="質問を追加").click()
            await page.get_by_label("追加する属性").select_option("household_size")
            await page.get_by_role("button", name="質問を追加").click()
            await page.locator(".question-row").first.get_by_label("必須").check()
            legends = page.locator(".phone legend")
            await expect(legends).to_have_text(["窓口の満足度必須", "世帯人数"])
            await page.get_by_role("button", name="質問「世帯人数」を上へ").focus()
            await page.keyboard.press("Enter")
            await expect(legends).to_have_text(["世帯人数", "窓口の満足度必須"])
            await page.keyboard.press("Tab")  # 上へ → 下へ of the same question
            await expect(page.get_by_role("button", name="質問「世帯人数」を下へ")).to_be_focused()
            await page.keyboard.press("Enter")
            await expect(legends).to_have_text(["窓口の満足度必須", "世帯人数"])
            await expect(page.locator(".phone label.choice")).to_have_text(["満足", "ふつう", "不満"])
            await expect(page.locator(".phone .bar")).to_have_text("窓口満足度調査")
            await look(page, "form-editor")
            await page.get_by_role("button", name="保存する").click()
            await expect(page.get_by_role("status").filter(has_text="フォーム「窓口満足度調査」を保存しました")).to_be_visible(timeout=WAIT)

            # three citizens answer on the LIFF page's API
            users = await friends(demo)
            for user, (choice, size) in zip(users, [("good", 3), ("good", 1), ("poor", 3)], strict=True):
                await answer(demo, user, "madoguchi_survey", {"satisfaction": choice, "household_size": size})
            await page.get_by_role("button", name="「窓口満足度調査」の回答を見る").click()
            await expect(page.get_by_text("回答した人: 3人")).to_be_visible(timeout=WAIT)
            await expect(page.locator("svg.chart")).to_have_count(2)
            tally = page.locator("figure", has=page.get_by_role("heading", name="窓口の満足度（回答 3人）"))
            await tally.get_by_text("数値を表で見る").click()
            await expect(tally.locator("tbody tr")).to_have_text(["満足2", "ふつう0", "不満1"])
            await expect(page.get_by_role("heading", name="世帯人数（回答 3人、平均 2.33）")).to_be_visible()
            await expect(page.locator("table", has_text="回答した人（3人").locator("tbody tr")).to_have_count(3)
            await look(page, "form-answers")
            async with page.expect_download() as download:
                await page.get_by_role("button", name="回答をCSVで保存").click()
            raw = await asyncio.to_thread(Path(await (await download.value).path()).read_bytes)
            assert raw.startswith(b"\xef\xbb\xbf") and raw.count(b"\r\n") == 4
            text = raw.decode("utf-8-sig")
            assert text.split("\r\n")[0].endswith("窓口の満足度,世帯人数")
            assert sorted(line.rsplit(",", 2)[1] for line in text.split("\r\n")[1:4]) == ["不満", "満足", "満足"]
            await expect(page.get_by_role("status").filter(has_text="CSVで保存しました")).to_be_visible()
            # the tablet size: every screen of the two pages
            await page.set_viewport_size({"width": 768, "height": 1024})
            await look(page, "form-answers")
            await page.get_by_role("button", name="一覧に戻る").click()
            await expect(page.locator("tr", has_text="窓口満足度調査")).to_contain_text("3人")
            await look(page, "forms")
            await page.get_by_role("button", name="「窓口満足度調査」を編集").click()
            await look(page, "form-editor")
            await open_page(page, "属性")
            await look(page, "attributes")
            await page.get_by_role("searchbox", name="キーワードで絞り込み").fill("満足度")
            await page.get_by_role("button", name="「窓口の満足度」を編集").click()
            await look(page, "attribute-editor")
        token = await demo.token(demo.login, demo.password)
        status, forms = await demo.admin_call("GET", "/forms", token=token)
        saved = next(f for f in forms if f["key"] == "madoguchi_survey")
        assert saved["items"] == [{"attribute": "satisfaction", "required": True, "prompt": ""},
                                  {"attribute": "household_size", "required": False, "prompt": ""}]
        assert saved["responses"] == 3


def held_mail() -> bytes:
    msg = MIMEText(SIGNATURE, "plain", "iso-2022-jp")
    msg["Subject"] = Header("【大雨】注意報", "iso-2022-jp")
    msg["From"] = "bousai@town.midori.example.jp"
    msg["Message-ID"] = "<console-1@town>"
    return msg.as_bytes()


async def test_mail_rule_preview_and_approving_a_held_mail(tmp_path: Path) -> None:
    async with running_demo(tmp_path) as demo, chromium() as browser:
        await add_friends(demo, ["山田 花子", "佐藤 一郎"])
        token = await demo.token(demo.login, demo.password)
        async with console_page(browser, 1280, 800, allowed=("/mail-rules/preview",)) as page:
            await sign_in(page, demo, demo.login, demo.password)
            await open_page(page, "メール転送")
            await expect(page.get_by_text("承認待ちのメールはありません。")).to_be_visible()
            await look(page, "mail")
            await page.get_by_role("button", name="新しいルールを作る").click()
            await page.get_by_label("名前").fill("防災メール")
            await page.get_by_label("差出人", exact=True).fill("@town.midori.example.jp")
            await page.get_by_label("件名の条件（正規表現）").fill("注意報|警報")
            await page.get_by_label("書き換えの種類").select_option("prepend")
            await page.get_by_role("button", name="書き換えを追加").click()
            await page.locator(".step-row").last.get_by_label("足す文字").fill("【防災みどり】")
            # a pasted mail: the text that would be sent, the signature cut
            await page.get_by_label("差出人のアドレス").fill("bousai@town.midori.example.jp")
            await page.get_by_label("件名", exact=True).fill("【大雨】注意報")
            await page.get_by_label("本文", exact=True).fill(SIGNATURE)
            verdict, text = page.get_by_test_id("mail-preview-verdict"), page.get_by_test_id("mail-preview-text")
            await expect(verdict).to_have_text("このルールに当てはまります。次の本文で配信されます。", timeout=WAIT)
            await expect(text).to_have_text("【【大雨】注意報】\n【防災みどり】\n大雨注意報が発表されました。\n川や用水路に近づかないでください。")
            await page.get_by_label("差出人のアドレス").fill("someone@example.com")
            await expect(verdict).to_contain_text("差出人が「@town.midori.example.jp」に当てはまりません", timeout=WAIT)
            # a broken regular expression: the API's message beside the field
            await page.get_by_label("件名の条件（正規表現）").fill("注意報(")
            await expect(page.locator('[name="subject"] + .field-error')).to_contain_text("正規表現", timeout=WAIT)
            await page.get_by_label("件名の条件（正規表現）").fill("注意報|警報")
            await page.get_by_label("差出人のアドレス").fill("bousai@town.midori.example.jp")
            await expect(verdict).to_contain_text("当てはまります", timeout=WAIT)
            await look(page, "mail-rule-editor")
            await page.set_viewport_size({"width": 768, "height": 1024})
            await look(page, "mail-rule-editor")
            await page.set_viewport_size({"width": 1280, "height": 800})
            await page.get_by_role("button", name="保存する").click()
            await expect(page.get_by_role("status").filter(has_text="転送ルール「防災メール」を保存しました")).to_be_visible(timeout=WAIT)
            await expect(page.get_by_role("cell", name="承認してから送る")).to_be_visible()

            # a mail arrives and is held; approving it (after the confirmation) sends it to citizens
            async with aiohttp.ClientSession() as http, http.post(
                    f"{demo.url}/admin/api/v1/mails", data=held_mail(),
                    headers={"Authorization": f"Bearer {token}", "Content-Type": "message/rfc822"}) as r:
                assert r.status == 201 and (await r.json())["status"] == "held"
            await page.reload()
            card = page.get_by_role("article", name="承認待ち: 【大雨】注意報")
            await expect(card).to_contain_text("配信先: 友だち全員（2人）", timeout=WAIT)
            await expect(card.locator(".bubble")).to_contain_text("【防災みどり】")
            await look(page, "mail-held")
            await page.set_viewport_size({"width": 768, "height": 1024})
            await look(page, "mail-held")
            await card.get_by_role("button", name="承認して送信する").click()
            await expect(page.get_by_role("dialog")).to_contain_text("友だち全員（2人）に LINE で送信します")
            await page.get_by_role("button", name="やめる").click()
            await expect(card).to_be_visible()
            await card.get_by_role("button", name="承認して送信する").click()
            await page.get_by_role("dialog").get_by_role("button", name="承認して送信する").click()
            await expect(page.get_by_role("status").filter(has_text="承認しました")).to_be_visible(timeout=WAIT)
            await expect(page.get_by_text("承認待ちのメールはありません。")).to_be_visible()
            row = page.locator("tr", has=page.get_by_role("cell", name="【大雨】注意報"))
            await expect(row).to_contain_text("承認に回した")
            await expect(row.locator("td").last).not_to_have_text("承認待ち")
        # the delivery reaches the citizens in linesim
        users = await friends(demo)
        async with aiohttp.ClientSession() as http:
            for _ in range(100):
                seen = []
                for user in users:
                    async with http.get(f"{sim_url(demo)}/linesim/api/users/{user}/timeline") as r:
                        seen.append("川や用水路に近づかないでください。" in json.dumps(await r.json(), ensure_ascii=False))
                if all(seen):
                    break
                await asyncio.sleep(0.2)
        assert all(seen), seen
        status, deliveries = await demo.admin_call("GET", "/deliveries", token=token)
        assert deliveries[0]["source"] == "mail" and deliveries[0]["approved_by"] == demo.login


async def test_viewer_sees_no_edit_buttons_on_attributes_forms_and_mail(tmp_path: Path) -> None:
    async with running_demo(tmp_path) as demo, chromium() as browser:
        admin = await demo.token(demo.login, demo.password)
        await add_viewer(demo, admin)
        status, _ = await demo.admin_call("POST", "/mail-rules", {"name": "防災", "sender": "@town.example.jp"}, token=admin)
        assert status == 201
        for w, h in SIZES.values():
            async with console_page(browser, w, h) as page:
                await sign_in(page, demo, "mitarou", "viewer-pass-2026!")
                await open_page(page, "属性")
                await expect(page.get_by_role("button", name="新しい属性を追加")).to_have_count(0)
                await expect(page.get_by_role("button", name="編集")).to_have_count(0)
                await page.get_by_role("button", name="「居住地区」を見る").click()
                await expect(page.get_by_text("閲覧のみの権限のため")).to_be_visible()
                await expect(page.get_by_role("button", name="保存する")).to_have_count(0)
                await expect(page.get_by_role("button", name="選択肢を追加")).to_have_count(0)
                await look(page, "viewer-attribute")
                await open_page(page, "フォーム")
                await expect(page.get_by_role("button", name="新しいフォームを作る")).to_have_count(0)
                await expect(page.get_by_role("button", name="削除")).to_have_count(0)
                await look(page, "viewer-forms")
                await page.get_by_role("button", name="「みどり町 町民アンケート 2026」を見る").click()
                await expect(page.get_by_role("button", name="質問を追加")).to_have_count(0)
                await expect(page.locator(".phone legend").first).to_contain_text("年代")
                await look(page, "viewer-form")
                await open_page(page, "メール転送")
                await expect(page.get_by_role("button", name="新しいルールを作る")).to_have_count(0)
                await expect(page.get_by_role("button", name="ルール「防災」を削除")).to_have_count(0)
                await look(page, "viewer-mail")
        viewer = await demo.token("mitarou", "viewer-pass-2026!")
        for method, path, body in [("POST", "/attributes", {"key": "x_y", "label": "x", "kind": "text"}),
                                   ("POST", "/forms", {"key": "x_y", "title": "x", "items": [{"attribute": "area"}]}),
                                   ("POST", "/mail-rules", {"name": "x"})]:
            status, refused = await demo.admin_call(method, path, body, token=viewer)
            assert status == 403 and "権限" in refused["error"]["message"], (path, refused)
