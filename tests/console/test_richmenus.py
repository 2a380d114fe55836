"""The rich-menu editor in headless Chromium against the running demo (service + linesim): draw two
areas with the mouse, set their actions, publish to the test account and see the menu in linesim and
the simulator, promote, count a tap per area, roll back; tiles rendered into an image; a viewer's
read-only view and the API's refusal; axe-core on every state at 1280×800 and 768×1024."""

from __future__ import annotations

import asyncio
import io
import re

import aiohttp
from PIL import Image
from playwright.async_api import Page, expect

from tests.browser import chromium
from tests.console.conftest import Demo, running_demo
from tests.console.test_console import WAIT, console_page, look, sign_in


def _png(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    image = Image.new("RGB", (width, height), "#1565C0")
    image.paste(Image.new("RGB", (width // 2, height), "#2E7D32"), (width // 2, 0))
    image.save(buffer, "PNG")
    return buffer.getvalue()


def _sim(demo: Demo) -> str:
    return demo.url.rsplit(":", 1)[0] + f":{int(demo.url.rsplit(':', 1)[1]) + 101}"


async def _citizen(demo: Demo, channel: str, name: str) -> str:
    async with aiohttp.ClientSession() as http, http.post(
            f"{_sim(demo)}/linesim/api/users?channel={channel}", json={"displayName": name, "follow": True}) as r:
        assert r.status == 201, await r.text()
        return (await r.json())["userId"]


async def _menu_of(demo: Demo, channel: str, user: str) -> dict | None:
    """The rich menu linesim shows this citizen (what the LINE app would show)."""
    async with aiohttp.ClientSession() as http, http.get(
            f"{_sim(demo)}/linesim/api/users/{user}/timeline?channel={channel}") as r:
        return (await r.json())["richMenu"]


async def _drag(page: Page, start: tuple[float, float], end: tuple[float, float]) -> None:
    """A drag with the mouse from and to fractions of the image."""
    box = await page.locator("svg.areas-layer").bounding_box()
    assert box is not None
    await page.mouse.move(box["x"] + box["width"] * start[0], box["y"] + box["height"] * start[1])
    await page.mouse.down()
    await page.mouse.move(box["x"] + box["width"] * end[0], box["y"] + box["height"] * end[1], steps=6)
    await page.mouse.up()


async def _richmenus(page: Page, demo: Demo, login: str, password: str) -> None:
    """Signed in, on the rich-menu page with the demo's menus listed."""
    await sign_in(page, demo, login, password)
    await page.get_by_role("link", name="リッチメニュー").click()
    await expect(page.get_by_role("cell", name="メインメニュー", exact=True)).to_be_visible(timeout=WAIT)


async def _open_section(page: Page, name: str):
    return page.locator("section", has=page.get_by_role("heading", name=name, level=2))


async def test_draw_publish_to_test_promote_count_taps_and_roll_back(tmp_path) -> None:
    async with running_demo(tmp_path) as demo, chromium() as browser:
        test_user = await _citizen(demo, "test", "試験 花子")
        citizen = await _citizen(demo, "production", "町民 一郎")
        before = await _menu_of(demo, "production", citizen)
        assert before is not None and len(before["areas"]) == 7  # the demo's main menu: 6 tiles + the other tab
        async with console_page(browser, 1280, 800) as page:
            await _richmenus(page, demo, demo.login, demo.password)
            await look(page, "richmenus")
            # a new menu: create, upload an image, draw two areas with the mouse
            await page.get_by_role("button", name="新しいメニューを作る").click()
            await page.get_by_label("名前（管理用）").fill("お試しメニュー")
            await page.get_by_label("トーク画面下部の文字").fill("お試し")
            await page.get_by_label("大きさ").select_option("compact")
            await look(page, "richmenu-create")
            await page.get_by_role("button", name="作成する").click()
            await expect(page.get_by_role("heading", name="リッチメニュー「お試しメニュー」")).to_be_visible(timeout=WAIT)
            await page.locator('input[name="image"]').set_input_files(
                {"name": "menu.png", "mimeType": "image/png", "buffer": _png(2500, 843)})
            await expect(page.get_by_role("status").filter(has_text="画像を保存しました")).to_be_visible(timeout=WAIT)
            board = page.locator("svg.areas-layer")
            await expect(board).to_be_visible(timeout=WAIT)
            await expect(page.locator(".board img")).to_have_js_property("naturalWidth", 2500, timeout=WAIT)
            box = await board.bounding_box()
            assert box is not None and abs(box["width"] / box["height"] - 2500 / 843) < 0.05
            await _drag(page, (0.02, 0.05), (0.48, 0.95))
            await _drag(page, (0.52, 0.05), (0.98, 0.95))
            await expect(page.locator(".area-key")).to_have_count(2)
            # actions from the form: a message, and a postback that starts the FAQ flow
            await page.locator('input[name="areas.0.label"]').fill("ごみ")
            await page.locator('input[name="areas.0.action.text"]').fill("ごみの出し方")
            await page.locator('input[name="areas.1.label"]').fill("質問")
            await page.locator('select[name="areas.1.action.type"]').select_option("postback")
            await page.locator('select[name="areas.1.flow"]').select_option("action=faq")
            # the keyboard moves the selected area (WCAG 2.1.1): 25 pixels a press
            x = int(await page.locator('input[name="areas.1.bounds.x"]').input_value())
            await page.get_by_role("button", name="領域2（質問）").focus()
            await page.keyboard.press("ArrowRight")
            await expect(page.locator('input[name="areas.1.bounds.x"]')).to_have_value(str(min(x + 25, 2500 - int(
                await page.locator('input[name="areas.1.bounds.width"]').input_value()))))
            await page.keyboard.press("Shift+ArrowUp")
            await look(page, "richmenu-drawn")
            # leaving before saving keeps the drawing as a draft in this tab
            await page.get_by_role("link", name="ダッシュボード").click()
            await page.get_by_role("link", name="リッチメニュー").click()
            await page.get_by_role("button", name="「お試しメニュー」を編集").click()
            await expect(page.get_by_text("保存していない編集を復元しました")).to_be_visible(timeout=WAIT)
            await expect(page.locator(".area-key")).to_have_count(2)
            await expect(page.locator('select[name="areas.1.flow"]')).to_have_value("action=faq")
            await page.get_by_role("button", name="保存する").click()
            await expect(page.get_by_role("status").filter(has_text="「お試しメニュー」を保存しました")).to_be_visible(timeout=WAIT)
            await expect(page.get_by_test_id("menu-problems")).to_contain_text("このメニューは公開できます", timeout=WAIT)
            # shown to everyone on the test account, published there
            await page.get_by_role("button", name="一覧に戻る").click()
            test_account = await _open_section(page, "テスト用アカウント")
            await test_account.get_by_label("テスト用アカウントで友だち全員に表示するメニュー").select_option(label="お試しメニュー")
            await test_account.get_by_role("button", name="表示設定を保存").click()
            await expect(page.get_by_role("status").filter(has_text="表示設定を保存しました")).to_be_visible(timeout=WAIT)
            await test_account.get_by_role("button", name="テスト用アカウントに公開").click()
            await expect(page.get_by_role("status").filter(has_text="第2版を公開しました")).to_be_visible(timeout=WAIT)
            test_account = await _open_section(page, "テスト用アカウント")
            await expect(test_account.get_by_test_id("releases-test")).to_contain_text("第2版（最新）")
            shown = await _menu_of(demo, "test", test_user)
            assert shown is not None and shown["chatBarText"] == "お試し"
            assert [(a["action"]["type"], a["action"].get("text") or a["action"].get("data")) for a in shown["areas"]] \
                == [("message", "ごみの出し方"), ("postback", "action=faq")]
            # the simulator opens on the test account and shows the menu to the citizen
            link = test_account.get_by_role("link", name="シミュレーターで確かめる")
            assert await link.get_attribute("href") == f"{_sim(demo)}/simulator?channel=test"
            async with page.expect_popup() as popup_info:
                await link.click()
            sim = await popup_info.value
            await expect(sim.get_by_test_id("channel-select")).to_have_value("test", timeout=WAIT)
            await expect(sim.get_by_test_id("richmenu-toggle")).to_contain_text("お試し", timeout=WAIT)
            await sim.close()
            assert (await _menu_of(demo, "production", citizen))["chatBarText"] == "メニュー"  # not yet
            await look(page, "richmenus-published-test")
            # promoted to production after a confirmation
            production = await _open_section(page, "公開用アカウント")
            await production.get_by_role("button", name="テスト用の内容を公開用アカウントに反映").click()
            await expect(page.get_by_role("dialog")).to_contain_text("友だち全員のメニューが変わります")
            await look(page, "richmenus-promote-confirm")
            await page.get_by_role("button", name="公開する").click()
            await expect(page.get_by_role("status").filter(has_text="公開用アカウントに第2版を公開しました")).to_be_visible(timeout=WAIT)
            promoted = await _menu_of(demo, "production", citizen)
            assert promoted is not None and promoted["chatBarText"] == "お試し"
            # a citizen taps the FAQ area: the count appears over that area in the editor
            async with aiohttp.ClientSession() as http, http.post(
                    f"{_sim(demo)}/linesim/api/users/{citizen}/actions?channel=production",
                    json={"type": "postback", "data": "action=faq"}) as r:
                assert r.status in (200, 201), await r.text()
            token = await demo.token(demo.login, demo.password)
            for _ in range(100):
                status, taps = await demo.admin_call("GET", "/stats/richmenu-taps", token=token)
                if any(t["data"] == "action=faq" for t in taps):
                    break
                await asyncio.sleep(0.1)
            await page.get_by_role("link", name="ダッシュボード").click()
            await page.get_by_role("link", name="リッチメニュー").click()
            await page.get_by_role("button", name="「お試しメニュー」を編集").click()
            await expect(page.locator(".area-taps")).to_have_text(["0回", "1回"], timeout=WAIT)
            await expect(page.get_by_role("button", name="領域2（質問）")).to_have_attribute("aria-label", re.compile("タップ1回"))
            await look(page, "richmenu-taps")
            # rollback: production goes back to version 1 (the demo's menu) after a confirmation
            await page.get_by_role("button", name="一覧に戻る").click()
            production = await _open_section(page, "公開用アカウント")
            await production.get_by_role("button", name="第1版に戻す").click()
            await expect(page.get_by_role("dialog")).to_contain_text("第1版に戻します")
            await page.get_by_role("button", name="戻す", exact=True).click()
            await expect(page.get_by_role("status").filter(has_text="第1版に戻しました（第3版として公開）")).to_be_visible(timeout=WAIT)
            production = await _open_section(page, "公開用アカウント")
            await expect(production.get_by_test_id("releases-production")).to_contain_text("第1版に戻したもの")
            back = await _menu_of(demo, "production", citizen)
            assert back is not None and back["chatBarText"] == "メニュー" and len(back["areas"]) == 7
            await look(page, "richmenus-rolled-back")
        status, releases = await demo.admin_call("GET", "/richmenu-accounts/production/releases", token=token)
        assert [(r["number"], r["source"]) for r in releases][:2] == [(3, "rollback:1"), (2, "promote:test#2")]


async def test_tiles_render_an_image_with_one_area_per_tile_on_a_tablet(tmp_path) -> None:
    async with running_demo(tmp_path) as demo, chromium() as browser:
        token = await demo.token(demo.login, demo.password)
        status, segment = await demo.admin_call("POST", "/segments", {"name": "子育て世帯", "filter": {"type": "all"}},
                                                token=token)
        assert status == 201
        # the menu made below comes after the demo's (its refused save is provoked below)
        status, existing = await demo.admin_call("GET", "/richmenus", token=token)
        assert status == 200
        new_id = max(m["id"] for m in existing) + 1
        async with console_page(browser, 768, 1024, allowed=(f"/richmenus/{new_id}",)) as page:
            await _richmenus(page, demo, demo.login, demo.password)
            await look(page, "richmenus")
            await page.get_by_role("button", name="「メインメニュー」を編集").click()
            await expect(page.locator(".area-key")).to_have_count(7, timeout=WAIT)
            await expect(page.get_by_role("button", name="「くらしの情報」を開く")).to_be_visible()  # the other tab, beside
            await look(page, "richmenu-tiled")
            # a tiled menu's areas become drawable once its image is fixed (after a confirmation)
            await page.get_by_role("button", name="画像を固定して領域を編集する").click()
            await page.get_by_role("button", name="固定する").click()
            await expect(page.get_by_role("status").filter(has_text="画像を保存しました")).to_be_visible(timeout=WAIT)
            await expect(page.get_by_role("button", name="保存する")).to_be_visible(timeout=WAIT)
            await page.get_by_role("button", name="領域1（ごみ分別）").click()
            await expect(page.locator(".handle")).to_have_count(4)
            await page.get_by_role("button", name="一覧に戻る").click()
            await page.get_by_role("button", name="新しいメニューを作る").click()
            await page.get_by_label("名前（管理用）").fill("タイルのメニュー")
            await page.get_by_role("button", name="作成する").click()
            await expect(page.get_by_role("heading", name="リッチメニュー「タイルのメニュー」")).to_be_visible(timeout=WAIT)
            await expect(page.get_by_test_id("menu-problems")).to_contain_text("画像", timeout=WAIT)
            await page.get_by_text("タイルから画像を作る").click()
            await page.get_by_label("タイル3の文字").fill("子育て")
            await page.get_by_label("タイル3の絵").select_option("home")
            await page.get_by_role("button", name="プレビューを作る").click()
            await expect(page.get_by_role("img", name="タイルから作った画像のプレビュー")).to_be_visible(timeout=30_000)
            await look(page, "richmenu-tiles-preview")
            await page.get_by_role("button", name="この画像を使う").click()
            await expect(page.get_by_role("status").filter(has_text="画像を保存しました")).to_be_visible(timeout=WAIT)
            await expect(page.locator(".area-key")).to_have_count(6, timeout=WAIT)  # a full menu: 3 × 2 tiles
            await expect(page.locator('input[name="areas.2.action.text"]')).to_have_value("子育て")
            await expect(page.get_by_test_id("menu-problems")).to_contain_text("このメニューは公開できます")
            await look(page, "richmenu-from-tiles")
            # without a mouse: add an area, move it with the arrow keys, then delete it
            await page.get_by_role("button", name="領域を追加").click()
            await expect(page.get_by_role("button", name="領域7", exact=False)).to_be_focused()
            await page.keyboard.press("ArrowRight")
            await page.keyboard.press("Shift+ArrowDown")
            await expect(page.locator('input[name="areas.6.bounds.x"]')).to_have_value("25")
            await expect(page.locator('input[name="areas.6.bounds.height"]')).to_have_value("425")
            await page.locator('li[data-index="6"]').get_by_role("button", name="この領域を削除").click()
            await expect(page.locator(".area-key")).to_have_count(6)
            # the API's refusal appears beside the field it is about (choosing area 3 opens its form)
            await page.get_by_role("button", name="領域3（子育て）").click()
            await page.locator('select[name="areas.2.action.type"]').select_option("uri")
            await page.locator('input[name="areas.2.action.uri"]').fill("http://www.town.midori.example/kosodate/")
            await page.get_by_role("button", name="保存する").click()
            error = page.locator('input[name="areas.2.action.uri"] + .field-error')
            await expect(error).to_contain_text("https://", timeout=WAIT)
            await expect(page.locator('input[name="areas.2.action.uri"]')).to_have_attribute("aria-invalid", "true")
            await look(page, "richmenu-field-error")
            await page.locator('input[name="areas.2.action.uri"]').fill("https://www.town.midori.example/kosodate/")
            await page.get_by_role("button", name="保存する").click()
            await expect(page.get_by_role("status").filter(has_text="「タイルのメニュー」を保存しました")).to_be_visible(timeout=WAIT)
            # per-segment target on the test account: the new menu for 子育て世帯
            await page.get_by_role("button", name="一覧に戻る").click()
            test_account = await _open_section(page, "テスト用アカウント")
            await test_account.get_by_role("button", name="セグメント別の表示を追加").click()
            await test_account.get_by_label("セグメント", exact=True).select_option(label="子育て世帯")
            await test_account.get_by_label("このセグメントに表示するメニュー").select_option(label="タイルのメニュー")
            await test_account.get_by_role("button", name="表示設定を保存").click()
            await expect(page.get_by_role("status").filter(has_text="表示設定を保存しました")).to_be_visible(timeout=WAIT)
            await page.get_by_role("link", name="ダッシュボード").click()
            await page.get_by_role("link", name="リッチメニュー").click()
            test_account = await _open_section(page, "テスト用アカウント")
            await expect(test_account.get_by_label("セグメント", exact=True)).to_have_value(str(segment["id"]), timeout=WAIT)
            row = page.locator("tr", has=page.get_by_role("cell", name="タイルのメニュー", exact=True))
            await expect(row).to_contain_text("テスト用アカウント（子育て世帯）")
            await look(page, "richmenus-segment-target")
            # a group of tabs: made, renamed, deleted (after a confirmation)
            await page.get_by_label("新しいグループの名前").fill("季節のメニュー")
            await page.get_by_role("button", name="グループを作る").click()
            await expect(page.get_by_role("heading", name="季節のメニュー", level=3)).to_be_visible(timeout=WAIT)
            await page.get_by_label("グループ「季節のメニュー」の名前").fill("冬のメニュー")
            await page.get_by_role("button", name="名前を変える").nth(1).click()
            await expect(page.get_by_role("heading", name="冬のメニュー", level=3)).to_be_visible(timeout=WAIT)
            await page.locator(".group", has=page.get_by_role("heading", name="冬のメニュー")).get_by_role(
                "button", name="グループを削除").click()
            await page.get_by_role("button", name="削除する").click()
            await expect(page.get_by_role("heading", name="冬のメニュー", level=3)).to_have_count(0, timeout=WAIT)
        status, menus = await demo.admin_call("GET", "/richmenus", token=token)
        made = next(m for m in menus if m["name"] == "タイルのメニュー")
        assert made["id"] == new_id and made["image"]["width"] == 2500 and made["layout"] is None
        assert [(a["bounds"]["x"], a["bounds"]["y"]) for a in made["areas"]] == [
            (0, 0), (833, 0), (1667, 0), (0, 843), (833, 843), (1667, 843)]
        assert made["areas"][2]["action"] == {"type": "uri", "uri": "https://www.town.midori.example/kosodate/"}
        status, targets = await demo.admin_call("GET", "/richmenu-accounts/test/targets", token=token)
        assert targets["segments"] == [{"segment_id": str(segment["id"]), "menu_id": made["id"]}]
        main = next(m for m in menus if m["name"] == "メインメニュー")
        assert targets["default_menu_id"] == main["id"] and main["layout"] is None and len(main["areas"]) == 7


async def test_viewer_sees_no_edit_buttons_and_the_api_refuses(tmp_path) -> None:
    async with running_demo(tmp_path) as demo, chromium() as browser:
        await demo.add_staff("mitarou", "閲覧 太郎", "viewer-pass-2026!", "viewer")
        for width, height in ((1280, 800), (768, 1024)):
            async with console_page(browser, width, height) as page:
                await _richmenus(page, demo, "mitarou", "viewer-pass-2026!")
                for name in ("新しいメニューを作る", "削除", "テスト用アカウントに公開", "表示設定を保存", "グループを作る",
                             "テスト用の内容を公開用アカウントに反映", "この表示設定で公開", "グループを削除", "名前を変える"):
                    await expect(page.get_by_role("button", name=name)).to_have_count(0)
                await expect(page.get_by_label("テスト用アカウントで友だち全員に表示するメニュー")).to_be_disabled()
                await expect(page.locator("main")).not_to_contain_text("null")
                await look(page, "richmenus-viewer")
                await page.get_by_role("button", name="「メインメニュー」を見る").click()
                await expect(page.get_by_text("閲覧のみの権限のため")).to_be_visible(timeout=WAIT)
                await expect(page.get_by_role("button", name="保存する")).to_have_count(0)
                await expect(page.get_by_role("button", name="画像を固定して領域を編集する")).to_have_count(0)
                await expect(page.get_by_label("名前（管理用）")).to_be_disabled()
                await look(page, "richmenu-viewer")
        viewer = await demo.token("mitarou", "viewer-pass-2026!")
        status, body = await demo.admin_call("PATCH", "/richmenus/1", {"name": "変更"}, token=viewer)
        assert status == 403 and "権限" in body["error"]["message"]
        status, body = await demo.admin_call("POST", "/richmenu-accounts/test/publish", token=viewer)
        assert status == 403
        status, menus = await demo.admin_call("GET", "/richmenus", token=viewer)
        assert status == 200 and menus[0]["name"] == "メインメニュー"
