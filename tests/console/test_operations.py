"""The operations screens of issue #18 in the console, headless Chromium against the running demo:
メンテナンスのお知らせ (schedule, change, cancel; citizens' pages see it) and 個人データ削除 (find the
citizen, see what will be erased, confirm, see what was erased); axe-core on every state."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import aiohttp
from playwright.async_api import expect

from civic.clock import TOKYO
from tests.browser import chromium
from tests.console.conftest import running_demo
from tests.console.test_console import WAIT, add_friends, console_page, look, sign_in


async def _public_notice(demo) -> dict | None:
    async with aiohttp.ClientSession() as http, http.get(f"{demo.url}/api/maintenance") as r:
        return (await r.json())["notice"]


async def test_staff_schedule_change_and_cancel_the_maintenance_notice(tmp_path: Path) -> None:
    start = (datetime.now(TOKYO) + timedelta(days=3)).replace(hour=22, minute=0, second=0, microsecond=0)
    end = start + timedelta(hours=4)
    async with running_demo(tmp_path) as demo, chromium() as browser:
        # the end before the start is refused by the API (422), shown beside the field
        async with console_page(browser, 1280, 800, allowed=("/maintenance",)) as page:
            await sign_in(page, demo, demo.login, demo.password)
            await page.get_by_role("navigation", name="機能").get_by_role("link", name="メンテナンスのお知らせ").click()
            await expect(page.get_by_role("heading", name="予定しているメンテナンスはありません")).to_be_visible(timeout=WAIT)
            await look(page, "maintenance-none")

            await page.get_by_role("button", name="お知らせを登録する").click()  # nothing filled in: told, not sent
            await expect(page.get_by_role("alert")).to_have_text("開始日時を入力してください。")
            await page.get_by_label("開始日時（日本時間）").fill(f"{start:%Y-%m-%dT%H:%M}")
            await page.get_by_label("終了日時（日本時間）").fill(f"{end - timedelta(hours=8):%Y-%m-%dT%H:%M}")
            await page.get_by_label("利用者へのお知らせ（500字まで）").fill("システムの点検のため、施設予約をご利用いただけません。")
            await page.get_by_role("button", name="お知らせを登録する").click()
            await expect(page.get_by_role("alert")).to_have_text("終了日時は開始日時より後にしてください。", timeout=WAIT)
            await page.get_by_label("終了日時（日本時間）").fill(f"{end:%Y-%m-%dT%H:%M}")
            preview = page.get_by_role("group", name="利用者の画面での表示（見本）")
            await expect(preview).to_contain_text(f"メンテナンスのお知らせ（{start.month}月{start.day}日")
            await expect(preview).to_contain_text("施設予約をご利用いただけません")
            await page.get_by_role("button", name="お知らせを登録する").click()
            await expect(page.get_by_role("status").filter(has_text="お知らせを登録しました")).to_be_visible(timeout=WAIT)
            await expect(page.get_by_role("heading", name="予定しているメンテナンス", exact=True)).to_be_visible()
            await expect(page.get_by_test_id("maintenance-window")).to_contain_text(f"{start.month}月{start.day}日")
            await look(page, "maintenance-scheduled")
            notice = await _public_notice(demo)
            assert notice is not None and notice["message"] == "システムの点検のため、施設予約をご利用いただけません。"
            assert datetime.fromisoformat(notice["starts_at"]) == start and notice["active"] is False

            await page.get_by_label("利用者へのお知らせ（500字まで）").fill("点検のため、予約とフォームを一時停止します。")
            await page.get_by_role("button", name="変更を保存する").click()
            await expect(page.get_by_role("region", name="予定しているメンテナンス")).to_contain_text(
                "予約とフォームを一時停止します", timeout=WAIT)
            assert (await _public_notice(demo))["message"] == "点検のため、予約とフォームを一時停止します。"

            await page.get_by_role("button", name="お知らせを取り消す").click()
            dialog = page.locator("#confirm")
            await expect(dialog).to_contain_text("利用者の画面から表示が消え", timeout=WAIT)
            await dialog.get_by_role("button", name="取り消す").click()
            await expect(page.get_by_role("heading", name="予定しているメンテナンスはありません")).to_be_visible(timeout=WAIT)
            assert await _public_notice(demo) is None


async def test_staff_erase_a_citizen_on_request(tmp_path: Path) -> None:
    async with running_demo(tmp_path) as demo, chromium() as browser:
        await add_friends(demo, ["山田 花子", "佐藤 一郎"])
        sim = demo.url.rsplit(":", 1)[0] + f":{int(demo.url.rsplit(':', 1)[1]) + 101}"  # as add_friends finds it
        async with aiohttp.ClientSession() as http, http.get(f"{sim}/linesim/api/users") as r:
            user_id = next(u["userId"] for u in (await r.json())["users"] if u["displayName"] == "山田 花子")
        token = await demo.token(demo.login, demo.password)
        status, found = await demo.admin_call("GET", f"/citizens/search?q={user_id}", token=token)
        assert status == 200 and len(found["items"]) == 1
        citizen_id = found["items"][0]["id"]
        # the first DELETE answers 428 (what would be erased, a token): the step the screen is built on
        async with console_page(browser, 1280, 800, allowed=(f"/citizens/{citizen_id}",)) as page:
            await sign_in(page, demo, demo.login, demo.password)
            await page.get_by_role("navigation", name="機能").get_by_role("link", name="個人データ削除").click()
            await expect(page.get_by_role("heading", name="1. 利用者を探す")).to_be_visible(timeout=WAIT)
            await look(page, "erasure-search")
            # from where a citizen is shown (有人チャット links here with their LINE user id)
            await page.evaluate(f"location.hash = '#/erasure?q={user_id}'")
            await expect(page.locator("#erasure-candidates tbody tr")).to_have_count(1, timeout=WAIT)
            search = page.get_by_label("利用者番号・LINE ユーザーID・氏名・電話番号")
            await search.fill("存在しない人")
            await page.get_by_role("button", name="探す").click()
            await expect(page.get_by_text("該当する利用者は見つかりませんでした。")).to_be_visible(timeout=WAIT)
            await search.fill(user_id)  # the LINE user id, as the talk log or a hand-over shows it
            await page.get_by_role("button", name="探す").click()
            await expect(page.locator("#erasure-candidates tbody tr")).to_have_count(1, timeout=WAIT)
            await expect(page.locator("#erasure-candidates")).to_contain_text(user_id)
            await look(page, "erasure-found")

            await page.get_by_role("button", name=f"番号 {citizen_id} の削除内容を確認する").click()
            await expect(page.get_by_role("heading", name=f"2. 削除される内容：番号 {citizen_id}")).to_be_visible(timeout=WAIT)
            await expect(page.locator("#erasure-preview")).to_contain_text("まだ削除していません")
            await expect(page.locator("#erasure-preview")).to_contain_text("トークログ")
            await look(page, "erasure-preview")
            await page.get_by_role("button", name="削除する").click()  # not yet ticked: told, nothing sent
            await expect(page.get_by_role("alert")).to_contain_text("本人からの求めであることを確かめてから")
            await page.get_by_label("本人からの削除の求めであること（本人確認を含む）を確かめました").check()
            await page.get_by_role("button", name="削除する").click()
            dialog = page.locator("#confirm")
            await expect(dialog).to_contain_text(f"番号 {citizen_id} の方の個人データを削除します。元に戻せません。", timeout=WAIT)
            await dialog.get_by_role("button", name="削除する").click()
            await expect(page.get_by_role("heading", name=f"3. 削除しました：番号 {citizen_id}")).to_be_visible(timeout=WAIT)
            await expect(page.locator("#erasure-result")).to_contain_text("削除・匿名化した件数")
            await look(page, "erasure-done")

        status, found = await demo.admin_call("GET", f"/citizens/search?q={user_id}", token=token)
        assert status == 200 and found["items"] == []  # the LINE user id is gone with the rest
        status, logs = await demo.admin_call("GET", "/operation-logs?action=citizen.erase", token=token)
        assert status == 200 and [e["target_id"] for e in logs["items"]] == [str(citizen_id)]
