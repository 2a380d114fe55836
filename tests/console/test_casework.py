"""Casework screens of the console (issue #16) in headless Chromium against the running demo: the 通報
inbox (map without any tile server, list, filters, detail, department, status change pushed to the
reporter at linesim, CSV/GeoJSON), with axe-core and a screenshot of every page."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import aiohttp
from playwright.async_api import Page, expect

from tests.browser import chromium
from tests.console.conftest import Demo, running_demo
from tests.console.test_console import WAIT, console_page, look, sign_in
from tests.console.test_deliveries import sim_url
from tests.dialogues.conftest import INSIDE

#: The demo's map tiles (地理院タイル): cut off in the tests, as on a machine without the internet.
TILES = "https://cyberjapandata.gsi.go.jp/"


async def _bot_texts(demo: Demo, user: str) -> list[str]:
    async with aiohttp.ClientSession() as http, http.get(f"{sim_url(demo)}/linesim/api/users/{user}/timeline") as r:
        return [str(e["message"].get("text", "")) for e in (await r.json())["entries"] if e["sender"] == "bot"]


async def _act(demo: Demo, user: str, action: dict, expect_text: str) -> None:
    """One citizen action in linesim, then wait until the bot's answer says ``expect_text``."""
    seen = len(await _bot_texts(demo, user))
    async with aiohttp.ClientSession() as http, http.post(
            f"{sim_url(demo)}/linesim/api/users/{user}/actions", json=action) as r:
        assert r.status < 300, await r.text()
    for _ in range(400):
        if any(expect_text in t for t in (await _bot_texts(demo, user))[seen:]):
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"no {expect_text!r} in {(await _bot_texts(demo, user))[seen:]}")


async def citizen_reports(demo: Demo, name: str, where: tuple[float, float], address: str, text: str) -> str:
    """A citizen in linesim reports road damage through the whole conversation; their user id."""
    async with aiohttp.ClientSession() as http, http.post(
            f"{sim_url(demo)}/linesim/api/users", json={"displayName": name, "follow": True}) as r:
        user = str((await r.json())["userId"])
    await _act(demo, user, {"type": "postback", "data": "action=report", "displayText": "道路の損傷を通報"}, "どのような損傷ですか")
    await _act(demo, user, {"type": "text", "text": "道路の穴・段差"}, "写真を1枚送ってください")
    await _act(demo, user, {"type": "text", "text": "写真なしで進む"}, "場所を教えてください")
    await _act(demo, user, {"type": "location", "latitude": where[0], "longitude": where[1], "address": address},
               "短く教えてください")
    await _act(demo, user, {"type": "text", "text": text}, "以下の内容で通報します")
    await _act(demo, user, {"type": "text", "text": "送信する"}, "受付番号は")
    return user


async def _cut_tiles(page: Page) -> None:
    await page.route(f"{TILES}**", lambda route: route.abort("internetdisconnected"))


async def test_report_inbox_status_change_reaches_the_reporter(tmp_path: Path) -> None:
    async with running_demo(tmp_path) as demo, chromium() as browser:
        first = await citizen_reports(demo, "通報 一郎", INSIDE, "みどり町本町1丁目", "歩道に大きな穴があります")
        # 10 m away, the same kind: a possible duplicate
        await citizen_reports(demo, "通報 二郎", (INSIDE[0] + 0.00009, INSIDE[1]), "みどり町本町1丁目", "穴があって危ないです")
        await citizen_reports(demo, "通報 三郎", (INSIDE[0] + 0.01, INSIDE[1] + 0.01), "みどり町緑ヶ丘3丁目", "段差でつまずきます")
        async with console_page(browser, 1280, 800, unreachable=(TILES,)) as page:
            await _cut_tiles(page)
            await sign_in(page, demo, demo.login, demo.password)
            await page.get_by_role("link", name="通報", exact=True).click()
            await expect(page.get_by_role("heading", name="通報", level=1)).to_be_visible(timeout=WAIT)
            # no tile server: the markers are there all the same, with a note saying why the map is blank
            await expect(page.locator("#report-map path.report-marker")).to_have_count(3, timeout=WAIT)
            await expect(page.locator(".map-note")).to_contain_text("背景の地図を読み込めませんでした", timeout=WAIT)
            await expect(page.locator("tr[data-report]")).to_have_count(3)
            await look(page, "reports")
            # the area filter
            await page.get_by_label("地区・住所").fill("緑ヶ丘")
            await page.get_by_role("button", name="絞り込む").click()
            await expect(page.locator("tr[data-report]")).to_have_count(1, timeout=WAIT)
            await expect(page.locator("#report-map path.report-marker")).to_have_count(1)
            await page.get_by_label("地区・住所").fill("")
            await page.get_by_role("button", name="絞り込む").click()
            await expect(page.locator("tr[data-report]")).to_have_count(3, timeout=WAIT)
            # the first report: detail with its possible duplicate 10 m away
            first_row = page.locator("tr[data-report]").last  # newest first: the first report is last
            no1 = (await first_row.get_by_role("button").inner_text()).strip()
            no2 = no1.replace("-00001", "-00002")
            assert no1.endswith("-00001"), no1
            await first_row.get_by_role("button").click()
            await expect(page.get_by_role("heading", name=f"通報 {no1}")).to_be_visible(timeout=WAIT)
            await expect(page.locator(".report-text")).to_have_text("歩道に大きな穴があります")
            await expect(page.locator(".report-dupes li")).to_have_count(1)
            await expect(page.locator(".report-dupes")).to_contain_text(no2)
            # a department
            await page.locator(".report-assign").get_by_label("担当課").fill("土木課")
            await page.get_by_role("button", name="担当課を保存する").click()
            await expect(page.get_by_role("status").filter(has_text="担当課を「土木課」にしました")).to_be_visible(timeout=WAIT)
            await expect(page.locator("tr[data-report]", has_text=no1)).to_contain_text("土木課")
            # a status change with a template, confirmed, pushed to the reporter
            await page.get_by_label("新しい状態").select_option(label="対応中")
            await page.get_by_label("回答テンプレート").select_option(index=1)
            note = page.get_by_label("通報者へのお知らせ（担当者より）")
            await expect(note).to_have_value("現地を確認し、補修の準備を進めています。完了しましたらお知らせします。")
            await look(page, "report-detail")
            await page.get_by_role("button", name="変更して通報者に知らせる").click()
            await expect(page.get_by_role("dialog")).to_contain_text(f"受付番号 {no1} を「対応中」に")
            await page.get_by_role("button", name="変更して知らせる").click()
            await expect(page.get_by_role("status").filter(has_text="「対応中」に変更し")).to_be_visible(timeout=WAIT)
            await expect(page.locator(".report-history li")).to_have_count(2)
            for _ in range(300):
                pushed = [t for t in await _bot_texts(demo, first) if f"{no1} の通報の状況が「対応中」" in t]
                if pushed:
                    break
                await asyncio.sleep(0.05)
            assert pushed and "担当者より：現地を確認し、補修の準備を進めています。" in pushed[0], await _bot_texts(demo, first)
            # exports: the filtered list as CSV, the map as GeoJSON
            async with page.expect_download() as saved:
                await page.get_by_role("button", name="一覧をCSVで保存").click()
            csv = await asyncio.to_thread(Path(await (await saved.value).path()).read_text, encoding="utf-8-sig")
            assert csv.startswith("受付番号,受付日時,種類,状態,担当課") and "土木課" in csv and csv.count("\n") == 4
            async with page.expect_download() as saved:
                await page.get_by_role("button", name="地図データ（GeoJSON）を保存").click()
            geo = json.loads(await asyncio.to_thread(Path(await (await saved.value).path()).read_text, encoding="utf-8"))
            assert geo["type"] == "FeatureCollection" and len(geo["features"]) == 3
        async with console_page(browser, 768, 1024, unreachable=(TILES,)) as page:
            await _cut_tiles(page)
            await sign_in(page, demo, demo.login, demo.password)
            await page.goto(f"{demo.url}/admin/#/reports")
            await expect(page.locator("#report-map path.report-marker")).to_have_count(3, timeout=WAIT)
            await look(page, "reports")


async def test_proxy_booking_for_a_caller_then_cancel_and_print_the_list(tmp_path: Path) -> None:
    async with running_demo(tmp_path) as demo, chromium() as browser:
        async with console_page(browser, 1280, 800) as page:
            await sign_in(page, demo, demo.login, demo.password)
            await page.get_by_role("link", name="施設予約").click()
            await expect(page.locator(".booking-calendar")).to_be_visible(timeout=WAIT)
            await look(page, "bookings")
            # next month (online booking may not be open yet: staff book all the same)
            month = await page.evaluate("(() => { const d = new Date(); d.setDate(1); d.setMonth(d.getMonth() + 1);"
                                        " return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}`; })()")
            await page.get_by_label("月", exact=True).fill(month)
            year, number = (int(x) for x in month.split("-"))
            await expect(page.locator(".booking-calendar caption")).to_contain_text(f"{year}年{number}月", timeout=WAIT)
            # a closed day for maintenance, shown on the calendar with its reason
            closed_day = await page.locator(".booking-calendar td.state-available").nth(5).get_attribute("data-day")
            await page.get_by_text("休館日・利用不可の登録（この月）").click()
            closures = page.locator(".closure-form")
            await closures.get_by_label("日付").fill(closed_day or "")
            await closures.get_by_label("理由（利用者にも表示）").fill("設備点検のため")
            await closures.get_by_role("button", name="登録する").click()
            await expect(page.locator(f'td[data-day="{closed_day}"]')).to_contain_text("設備点検のため", timeout=WAIT)
            await expect(page.locator(f'td[data-day="{closed_day}"]')).to_have_class("day state-closed")
            await expect(page.locator(".closure-list")).to_contain_text("設備点検のため")
            open_day = page.locator(".booking-calendar td.state-available").nth(3)
            await expect(open_day).to_be_visible(timeout=WAIT)
            day = await open_day.get_attribute("data-day")
            await open_day.get_by_role("button").click()
            form = page.locator(".proxy-form")
            await expect(form).to_be_visible(timeout=WAIT)
            await form.get_by_label("人数").fill("12")
            await form.get_by_label("申請者の氏名").fill("電話 花子")
            await form.get_by_label("電話番号").fill("0985-75-0000")
            await form.get_by_role("button", name="使用料を試算する").click()
            await expect(form.locator(".quote")).to_contain_text("使用料", timeout=WAIT)
            await look(page, "booking-day")
            await form.get_by_role("button", name="予約する").click()
            booked = page.get_by_test_id("booked")
            await expect(booked).to_contain_text("予約番号", timeout=WAIT)
            card = page.locator(".booking-card", has_text="電話 花子")
            await expect(card).to_have_count(1)
            await expect(page.locator(f'td[data-day="{day}"] .day-bookings')).to_contain_text("電話 花子")
            token = await demo.token(demo.login, demo.password)
            status, found = await demo.admin_call("GET", f"/bookings?date_from={day}&date_to={day}", token=token)
            [booking] = [b for b in found["items"] if b["applicant_name"] == "電話 花子"]
            assert (booking["source"], booking["people"], booking["status"]) == ("counter", 12, "confirmed")
            # the month's list, printable
            await page.get_by_label("表示", exact=True).select_option("list")
            await expect(page.locator(".booking-list")).to_contain_text("電話 花子", timeout=WAIT)
            await look(page, "booking-list")
            await page.emulate_media(media="print")
            await page.screenshot(path="/tmp/console-shots/booking-list-print.png", full_page=True)
            await expect(page.get_by_role("navigation", name="機能")).to_be_hidden()
            await page.emulate_media(media="screen")
            async with page.expect_download() as saved:
                await page.get_by_role("button", name="CSVで保存").click()
            csv = await asyncio.to_thread(Path(await (await saved.value).path()).read_text, encoding="utf-8-sig")
            assert "電話 花子" in csv and booking["number"] in csv
            # cancel with a reason
            await page.get_by_label("表示", exact=True).select_option("calendar")
            await page.locator(f'td[data-day="{day}"]').get_by_role("button").click()
            card = page.locator(".booking-card", has_text="電話 花子")
            await card.get_by_role("button", name="取消…").click()
            await card.get_by_label("理由（利用者に LINE でお知らせします）").fill("ご本人からお電話で取消のご連絡がありました。")
            await card.get_by_role("button", name="取り消す").click()
            await page.locator("#confirm-yes").click()
            await expect(page.get_by_role("status").filter(has_text="取り消しました")).to_be_visible(timeout=WAIT)
            await expect(page.locator(".booking-card", has_text="電話 花子")).to_have_count(0)
            status, after = await demo.admin_call("GET", f"/bookings/{booking['id']}", token=token)
            assert after["status"] == "cancelled" and "お電話で取消" in after["cancel_reason"]


async def test_staff_accounts_roles_and_the_logs(tmp_path: Path) -> None:
    async with running_demo(tmp_path) as demo, chromium() as browser:
        user = await citizen_reports(demo, "ログ 花子", INSIDE, "みどり町本町1丁目", "電話 090-1234-5678 まで連絡ください")
        async with console_page(browser, 1280, 800) as page:
            await sign_in(page, demo, demo.login, demo.password)
            await page.get_by_role("link", name="職員・ロール").click()
            await expect(page.get_by_role("heading", name="ロールと権限")).to_be_visible(timeout=WAIT)
            form = page.locator(".staff-create")
            await form.get_by_label("ログインID").fill("kensetsu.sato")
            await form.get_by_label("表示名（所属と氏名）").fill("建設課 佐藤")
            await form.get_by_label("初期パスワード").fill("kensetsu-pass-2026!")
            await form.get_by_label("ロール").select_option(label="閲覧者")
            await form.get_by_role("button", name="作成する").click()
            row = page.locator("tr", has=page.get_by_role("cell", name="建設課 佐藤", exact=True))
            await expect(row.get_by_role("cell", name="有効", exact=True)).to_be_visible(timeout=WAIT)
            await look(page, "staff")
            await row.get_by_role("button", name="パスワード再設定…").click()
            await row.get_by_label("建設課 佐藤の新しいパスワード").fill("kensetsu-pass-2027!")
            await row.get_by_role("button", name="再設定する").click()
            await expect(page.get_by_role("status").filter(has_text="パスワードを再設定しました")).to_be_visible(timeout=WAIT)
            await row.get_by_role("button", name="無効にする").click()
            await page.locator("#confirm-yes").click()
            await expect(row.get_by_role("cell", name="無効", exact=True)).to_be_visible(timeout=WAIT)
            # the logs: the changes above, one entry each; the talk log with the citizen's words
            await page.get_by_role("link", name="操作ログ・トークログ").click()
            await expect(page.get_by_role("heading", name="トークログ", exact=True)).to_be_visible(timeout=WAIT)
            oplog = page.locator("section", has=page.get_by_role("heading", name="操作ログ", exact=True))
            await oplog.get_by_label("操作（前方一致、例: reports.）").fill("staff.")
            await oplog.get_by_label("職員のログインID").fill(demo.login)
            await oplog.get_by_role("button", name="検索する").click()
            await expect(oplog.locator("tbody tr")).to_have_count(3, timeout=WAIT)
            talk = page.locator("section", has=page.get_by_role("heading", name="トークログ", exact=True))
            await talk.get_by_label("発言に含まれる語").fill("連絡ください")
            await talk.get_by_role("button", name="検索する").click()
            await expect(talk.locator("tbody")).to_contain_text("090-1234-5678", timeout=WAIT)
            await expect(talk.locator("tbody")).to_contain_text(user)
            await look(page, "logs")
            async with page.expect_download() as saved:
                await talk.get_by_role("button", name="CSVで保存").click()
            csv = await asyncio.to_thread(Path(await (await saved.value).path()).read_text, encoding="utf-8-sig")
            assert "連絡ください" in csv
        # a role without personal data: the same search shows pseudonyms and masked numbers
        admin = await demo.token(demo.login, demo.password)
        status, auditor = await demo.admin_call("POST", "/roles", {"key": "kansa", "name": "監査",
                                                                   "permissions": ["audit.view", "talklog.view"]}, token=admin)
        assert status == 201, auditor
        status, body = await demo.admin_call("POST", "/staff", {"login": "kansa", "display_name": "監査 太郎",
                                                             "password": "zz-audit-Pw-2026!", "role_id": auditor["id"]}, token=admin)
        assert status == 201, body
        async with console_page(browser, 1280, 800) as page:
            await sign_in(page, demo, "kansa", "zz-audit-Pw-2026!")
            await page.get_by_role("link", name="操作ログ・トークログ").click()
            talk = page.locator("section", has=page.get_by_role("heading", name="トークログ", exact=True))
            await expect(talk.get_by_text("個人情報の閲覧権限がないため")).to_be_visible(timeout=WAIT)
            await talk.get_by_label("発言に含まれる語").fill("連絡ください")
            await talk.get_by_role("button", name="検索する").click()
            await expect(talk.locator("tbody")).to_contain_text("利用者-", timeout=WAIT)
            await expect(talk.locator("tbody")).not_to_contain_text("090-1234-5678")
            await expect(talk.locator("tbody")).not_to_contain_text(user)
            await look(page, "logs-masked")


async def test_monthly_report_prints_on_a4_and_downloads_as_csv(tmp_path: Path) -> None:
    async with running_demo(tmp_path) as demo, chromium() as browser:
        await citizen_reports(demo, "月次 花子", INSIDE, "みどり町本町1丁目", "側溝のふたが割れています")
        async with console_page(browser, 1280, 800) as page:
            await sign_in(page, demo, demo.login, demo.password)
            month = await page.evaluate("(() => { const d = new Date(); return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}`; })()")
            await page.goto(f"{demo.url}/admin/#/monthly?month={month}")
            sheet = page.locator(".monthly-sheet")
            await expect(sheet.get_by_role("heading", level=2)).to_contain_text("月次報告", timeout=WAIT)
            await expect(sheet.locator("table", has_text="通報（道路").locator("tbody tr").first).to_contain_text("1")
            await expect(sheet.locator(".monthly-kpis")).to_contain_text("月末の友だち数")
            await look(page, "monthly")
            async with page.expect_download() as saved:
                await page.get_by_role("button", name="CSVで保存").click()
            csv = await asyncio.to_thread(Path(await (await saved.value).path()).read_text, encoding="utf-8-sig")
            assert csv.startswith(f"区分,項目,{month}") and "通報,受け付けた通報,1" in csv and "友だち,月末の友だち数," in csv
            # as printed on A4: only the sheet, no navigation or buttons
            await page.emulate_media(media="print")
            await page.set_viewport_size({"width": 794, "height": 1123})  # A4 at 96 dpi
            await expect(page.get_by_role("navigation", name="機能")).to_be_hidden()
            await expect(page.get_by_role("button", name="印刷する（A4）")).to_be_hidden()
            await page.screenshot(path="/tmp/console-shots/monthly-print-a4.png", full_page=True)
            await expect(page.locator(".monthly-head")).to_contain_text(f"{int(month[:4])}年{int(month[5:])}月")
            pdf = await page.pdf(format="A4", print_background=True)
            assert pdf.startswith(b"%PDF")
            await asyncio.to_thread(Path("/tmp/console-shots/monthly.pdf").write_bytes, pdf)
