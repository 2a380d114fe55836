"""The console's 配信 screens in headless Chromium against the running demo: a delivery composed with an
uploaded image and LINE emoji, previewed by the simulator's own renderer, test-sent and seen arriving
at linesim; a recurring delivery in the calendar; a CSV import's per-row errors; results; a viewer's
read-only view and the API's refusal; axe-core on every state at both sizes."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path
from typing import Any

import aiohttp
from PIL import Image
from playwright.async_api import Page, expect

from tests.browser import chromium
from tests.console.conftest import Demo, running_demo
from tests.console.test_console import SIZES, WAIT, add_friends, console_page, look, sign_in


def sim_url(demo: Demo) -> str:
    host, port = demo.url.rsplit(":", 1)
    return f"{host}:{int(port) + 101}"


async def add_test_account(demo: Demo, name: str) -> str:
    """A staff member's phone following the test account: a citizen with ``is_test_account``."""
    async with aiohttp.ClientSession() as http, http.post(
            f"{sim_url(demo)}/linesim/api/users", params={"channel": "test"}, json={"displayName": name, "follow": True}) as r:
        assert r.status == 201, await r.text()
        user = (await r.json())["userId"]
    token = await demo.token(demo.login, demo.password)
    for _ in range(200):
        _, body = await demo.admin_call("POST", "/segments/preview", {"filter": {"type": "all"}}, token=token)
        if body.get("test_accounts", 0) >= 1:
            return str(user)
        await asyncio.sleep(0.1)
    raise AssertionError("the test account never arrived")


async def timeline_of(demo: Demo, user: str) -> list[dict[str, Any]]:
    async with aiohttp.ClientSession() as http, http.get(
            f"{sim_url(demo)}/linesim/api/users/{user}/timeline", params={"channel": "test"}) as r:
        return [e["message"] for e in (await r.json())["entries"] if e["sender"] == "bot"]


def poster(path: Path) -> Path:
    image = Image.new("RGB", (1200, 800), (250, 240, 200))
    for x in range(0, 1200, 40):
        for y in range(300, 500):
            image.putpixel((x, y), (11, 110, 79))
    image.save(path, "PNG")
    return path


async def open_editor(page: Page) -> None:
    await page.get_by_role("link", name="配信", exact=True).click()
    await page.get_by_role("button", name="新しい配信を作る").click()
    await expect(page.get_by_role("heading", name="新しい配信", level=1)).to_be_visible(timeout=WAIT)


async def test_compose_preview_test_send_calendar_import_and_results(tmp_path: Path) -> None:
    async with running_demo(tmp_path) as demo, chromium() as browser:
        await add_friends(demo, ["山田 花子", "佐藤 一郎"])
        tester = await add_test_account(demo, "役場 テスト")
        image = poster(tmp_path / "お祭りのポスター.png")
        admin = await demo.token(demo.login, demo.password)
        status, _ = await demo.admin_call("POST", "/segments", {"name": "友だち追加から0日以上", "filter": {
            "type": "friend_days", "min": 0}}, token=admin)
        assert status == 201
        # the one refusal the test provokes: a delivery without a title (POST /deliveries → 422)
        async with console_page(browser, 1280, 800, allowed=("/admin/api/v1/deliveries",)) as page:
            await sign_in(page, demo, demo.login, demo.password)
            await open_editor(page)
            await page.get_by_label("タイトル").fill("秋祭りのお知らせ")
            await page.get_by_label("本文").fill("秋祭りを開きます。")
            await page.get_by_role("button", name="LINE絵文字「星」を入れる").click()
            preview = page.get_by_test_id("preview")
            await expect(preview.locator(".line-emoji")).to_have_text("★", timeout=WAIT)
            await expect(preview.locator(".bubble").first).to_contain_text("秋祭りを開きます。")
            # an image, uploaded here and hosted by the service
            await page.get_by_role("button", name="メッセージを追加").click()
            second = page.locator(".message-card").nth(1)
            await second.get_by_label("メッセージの種類").select_option("image")
            await second.locator('input[type="file"]').set_input_files(image)
            await expect(second.get_by_text("アップロードしました")).to_be_visible(timeout=WAIT)
            src = preview.locator(".bubble.media img")
            await expect(src).to_be_visible(timeout=WAIT)
            assert "/media/" in (await src.get_attribute("src") or "")
            assert await src.evaluate("img => img.complete && img.naturalWidth") == 480  # the preview variant
            # a Flex card from a template
            await page.get_by_role("button", name="メッセージを追加").click()
            third = page.locator(".message-card").nth(2)
            await third.get_by_label("メッセージの種類").select_option("flex")
            await third.get_by_label("形").select_option("event")
            await third.get_by_label("イベント名").fill("みどり町 秋祭り")
            await third.get_by_label("日時").fill("11月3日（祝）10時から")
            await third.get_by_label("場所").fill("中央公園")
            await third.get_by_label("ボタンのリンク先").fill("https://example.jp/matsuri")
            await expect(preview.locator(".flex-bubble")).to_contain_text("中央公園", timeout=WAIT)
            await expect(preview.locator(".fx-button")).to_have_text("申し込む")
            # an imagemap on the same upload, cut in two links
            await page.get_by_role("button", name="メッセージを追加").click()
            fourth = page.locator(".message-card").nth(3)
            await fourth.get_by_label("メッセージの種類").select_option("imagemap")
            await fourth.get_by_label("アップロード済みの画像から選ぶ").focus()
            await expect(fourth.get_by_label("アップロード済みの画像から選ぶ").locator("option")).to_have_count(2, timeout=WAIT)
            await fourth.get_by_label("アップロード済みの画像から選ぶ").select_option(index=1)
            await fourth.get_by_label("リンクの分け方").select_option("cols")
            await fourth.get_by_label("左のリンク先").fill("https://example.jp/left")
            await fourth.get_by_label("右のリンク先").fill("https://example.jp/right")
            await expect(preview.locator(".bubble.wide img[src$='/1040']")).to_be_visible(timeout=WAIT)
            await expect(preview.locator(".bubble.wide .area")).to_have_count(2)
            # the audience's live count: a segment, then the test accounts
            await page.get_by_label("セグメント（条件に合う人）").check()
            await expect(page.get_by_test_id("audience-count")).to_contain_text("セグメントを選ぶと", timeout=WAIT)
            await page.get_by_label("セグメント", exact=True).select_option(label="友だち追加から0日以上")
            await expect(page.get_by_test_id("audience-count")).to_contain_text("いま送ると届く人数: 2人", timeout=WAIT)
            await page.get_by_label("テスト用アカウントだけ").check()
            await expect(page.get_by_test_id("audience-count")).to_contain_text("テスト用アカウント: 1件", timeout=WAIT)
            await look(page, "delivery-editor")
            await page.get_by_role("button", name="テスト用アカウントに送る").click()
            await expect(page.get_by_role("status").filter(has_text="テスト用アカウントに送りました")).to_be_visible(timeout=WAIT)
            # it arrives at linesim, on the test account's chat
            for _ in range(300):
                got = await timeline_of(demo, tester)
                if len(got) >= 4:
                    break
                await asyncio.sleep(0.1)
            kinds = [m["type"] for m in got[-4:]]
            assert kinds == ["text", "image", "flex", "imagemap"], got
            text, picture, flex, imagemap = got[-4:]
            assert imagemap["baseUrl"] == picture["originalContentUrl"]
            assert imagemap["baseSize"] == {"width": 1040, "height": 693}
            assert [a["area"] for a in imagemap["actions"]] == [{"x": 0, "y": 0, "width": 520, "height": 693},
                                                                 {"x": 520, "y": 0, "width": 520, "height": 693}]
            assert text["text"] == "秋祭りを開きます。$" and text["emojis"][0]["index"] == 9
            assert "/media/" in picture["originalContentUrl"] and picture["previewImageUrl"].endswith("/preview")
            assert "中央公園" in str(flex["contents"])
            async with aiohttp.ClientSession() as http, http.get(picture["originalContentUrl"] + "/1040") as r:
                assert r.status == 200 and Image.open(io.BytesIO(await r.read())).size == (1040, 693)
            await expect(page.get_by_text("テスト送信")).to_be_visible(timeout=WAIT)

            # a recurring delivery, seen in the calendar
            await page.get_by_role("button", name="一覧に戻る").click()
            await page.get_by_role("button", name="新しい配信を作る").click()
            await page.get_by_label("本文").fill("明日は燃やすごみの日です。")
            await page.get_by_label("繰り返し送る").check()
            await page.get_by_label("繰り返し方").select_option("weekly")
            await page.get_by_label("月", exact=True).check()
            await page.get_by_label("木", exact=True).check()
            await page.get_by_label("時刻（日本時間）").fill("19:00")
            # without a title: the API's message beside the field
            await page.get_by_role("button", name="保存する").click()
            await page.get_by_role("button", name="送る", exact=True).click()
            await expect(page.locator('input[name="title"][aria-invalid="true"]')).to_be_visible(timeout=WAIT)
            await expect(page.locator('input[name="title"] + .field-error')).to_be_visible()
            await look(page, "delivery-recurring-error")
            await page.get_by_label("タイトル").fill("燃やすごみの日")
            await expect(page.get_by_label("緊急配信", exact=False)).not_to_be_checked()  # routine unless marked (#22)
            await page.get_by_role("button", name="保存する").click()
            await expect(page.get_by_role("dialog")).to_contain_text("友だち全員（いま2人）に繰り返し送ります")
            await page.get_by_role("button", name="送る", exact=True).click()
            await expect(page.get_by_role("status").filter(has_text="配信を保存しました")).to_be_visible(timeout=WAIT)
            await expect(page.get_by_role("cell", name="燃やすごみの日", exact=True)).to_be_visible(timeout=WAIT)
            await page.get_by_role("link", name="カレンダー").click()
            calendar = page.locator("table.calendar")
            await expect(calendar.get_by_role("button", name="19:00 燃やすごみの日").first).to_be_visible(timeout=WAIT)
            token = await demo.token(demo.login, demo.password)
            _, cal = await demo.admin_call("GET", f"/deliveries/calendar?month={await page.evaluate('new Date(Date.now() + 9 * 3600e3).toISOString().slice(0, 7)')}", token=token)
            days = sorted({e["date"] for e in cal["entries"] if e["title"] == "燃やすごみの日"})
            assert days and await calendar.locator(f'td[data-date="{days[-1]}"]').inner_text() != ""
            assert "燃やすごみの日" in await calendar.locator(f'td[data-date="{days[-1]}"]').inner_text()

            # CSV import: one good row, one bad: nothing is created, the bad row is shown
            csv = tmp_path / "配信.csv"
            csv.write_text("タイトル,本文,画像URL,セグメント,繰り返し,時刻,開始日,終了日,祝日を除く\n"
                           "資源ごみ,資源ごみの日です。,,,毎月 第2金曜,7:00,2026-12-01,,\n"
                           "粗大ごみ,粗大ごみの日です。,,,毎週 かようび,7:00,2026-12-01,,\n", encoding="utf-8")
            await page.get_by_role("link", name="CSVで一括登録").click()
            await page.get_by_label("CSVファイル").set_input_files(csv)
            await page.get_by_role("button", name="登録する").click()
            errors = page.get_by_test_id("import-errors")
            await expect(errors).to_contain_text("3行目", timeout=WAIT)
            await expect(errors).to_contain_text("繰り返し")
            await expect(page.get_by_role("alert")).to_contain_text("登録していません")
            await look(page, "delivery-import-errors")
            # the good rows only
            await page.get_by_label("正しい行だけ登録する").check()
            await page.get_by_role("button", name="登録する").click()
            await expect(page.get_by_role("alert")).to_contain_text("2行のうち1件を登録しました", timeout=WAIT)

            # results: the test send is counted when asked to include tests
            await page.get_by_role("link", name="配信結果").click()
            await page.get_by_label("テスト送信も含める").check()
            await page.get_by_role("button", name="表示する").click()
            await expect(page.get_by_role("cell", name="秋祭りのお知らせ（テスト）")).to_be_visible(timeout=WAIT)
            await page.get_by_role("button", name="秋祭りのお知らせを詳しく").click()
            await expect(page.locator(".figures")).to_contain_text("成功", timeout=WAIT)
            async with page.expect_download() as download:
                await page.get_by_role("button", name="CSVでダウンロード").click()
            saved = Path(await (await download.value).path())
            assert "秋祭りのお知らせ" in await asyncio.to_thread(saved.read_text, encoding="utf-8-sig")

        # every view at both sizes: axe and a screenshot
        for size, (w, h) in SIZES.items():
            async with console_page(browser, w, h) as page:
                await sign_in(page, demo, demo.login, demo.password)
                await page.get_by_role("link", name="配信", exact=True).click()
                await expect(page.get_by_role("cell", name="燃やすごみの日", exact=True)).to_be_visible(timeout=WAIT)
                await look(page, f"deliveries-list-{size}")
                for view, ready in (("カレンダー", page.locator("table.calendar")), ("配信結果", page.get_by_role("button", name="CSVでダウンロード")),
                                    ("CSVで一括登録", page.get_by_label("CSVファイル"))):
                    await page.get_by_role("link", name=view).click()
                    await expect(ready).to_be_visible(timeout=WAIT)
                    await look(page, f"deliveries-{view}-{size}")
                await page.get_by_role("link", name="配信一覧").click()
                await page.get_by_role("button", name="「秋祭りのお知らせ」を開く").click()
                await expect(page.get_by_test_id("preview").locator(".flex-bubble")).to_be_visible(timeout=WAIT)
                # the saved imagemap opens with its own layout and links
                imagemap = page.locator(".message-card").nth(3)
                await expect(imagemap.get_by_label("リンクの分け方")).to_have_value("cols")
                await expect(imagemap.get_by_label("右のリンク先")).to_have_value("https://example.jp/right")
                # the card made from a template opens as that template's form, with what was typed
                card = page.locator(".message-card").nth(2)
                await expect(card.get_by_label("形")).to_have_value("event")
                await expect(card.get_by_label("イベント名")).to_have_value("みどり町 秋祭り")
                await expect(card.get_by_label("場所")).to_have_value("中央公園")
                await expect(card.get_by_label("ボタンのリンク先")).to_have_value("https://example.jp/matsuri")
                await look(page, f"delivery-open-{size}")


async def test_viewer_sees_no_send_or_edit_buttons_and_the_api_refuses(tmp_path: Path) -> None:
    async with running_demo(tmp_path) as demo, chromium() as browser:
        admin = await demo.token(demo.login, demo.password)
        _, roles = await demo.admin_call("GET", "/roles", token=admin)
        viewer_role = next(r["id"] for r in roles if r["key"] == "viewer")
        status, _ = await demo.admin_call("POST", "/staff", {"login": "mitarou", "display_name": "閲覧 太郎",
                                                             "password": "viewer-pass-2026!", "role_id": viewer_role},
                                          token=admin)
        assert status == 201
        body = {"title": "下書きのお知らせ", "messages": [{"type": "text", "text": "こんにちは"}], "timing": "draft"}
        status, made = await demo.admin_call("POST", "/deliveries", body, token=admin)
        assert status == 201
        async with console_page(browser, 1280, 800) as page:
            await sign_in(page, demo, "mitarou", "viewer-pass-2026!")
            await page.get_by_role("link", name="配信", exact=True).click()
            await expect(page.get_by_role("cell", name="下書きのお知らせ", exact=True)).to_be_visible(timeout=WAIT)
            await expect(page.get_by_role("button", name="新しい配信を作る")).to_have_count(0)
            await look(page, "deliveries-viewer")
            await page.get_by_role("button", name="「下書きのお知らせ」の内容を見る").click()
            await expect(page.get_by_text("閲覧のみの権限のため")).to_be_visible(timeout=WAIT)
            await expect(page.get_by_label("タイトル")).to_be_disabled()
            for name in ("保存する", "テスト用アカウントに送る", "メッセージを追加", "配信を取り消す"):
                await expect(page.get_by_role("button", name=name)).to_have_count(0)
            await expect(page.get_by_test_id("preview")).to_contain_text("こんにちは")
            await look(page, "delivery-viewer")
            await page.get_by_role("button", name="一覧に戻る").click()
            await page.get_by_role("link", name="CSVで一括登録").click()
            await expect(page.get_by_text("閲覧のみの権限のため")).to_be_visible(timeout=WAIT)
            await expect(page.get_by_role("button", name="登録する")).to_have_count(0)
        viewer = await demo.token("mitarou", "viewer-pass-2026!")
        for method, path, sent in (("PUT", f"/deliveries/{made['id']}", body), ("POST", f"/deliveries/{made['id']}/test", None),
                                   ("POST", "/deliveries", body)):
            status, refused = await demo.admin_call(method, path, sent, token=viewer)
            assert status == 403 and "権限" in refused["error"]["message"], (path, refused)
        async with aiohttp.ClientSession() as http, http.post(
                f"{demo.url}/admin/api/v1/images", data=b"\x89PNG", headers={
                    "Authorization": f"Bearer {viewer}", "Content-Type": "image/png"}) as r:
            assert r.status == 403
