"""施設の設定 and 管理施設 in the console (issue #16, 国富町 表3 no.2–15) in headless Chromium against one
running demo: staff add a unit and a frame through the forms (an API refusal shown beside its field) and
find the frame offered on the 施設予約 calendar; an administrator limits a staff member to one facility on
the staff page, and that member's console then offers that facility only. axe-core on every screen."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.async_api import expect

from tests.browser import chromium
from tests.console.conftest import running_demo
from tests.console.test_console import WAIT, console_page, look, sign_in

BUDOKAN = "みどり町武道館"
TENNIS = "みどり山公園 テニスコート"


async def test_facility_settings_forms_and_staff_limited_to_a_facility(tmp_path: Path) -> None:
    async with running_demo(tmp_path) as demo, chromium() as browser:
        async with console_page(browser, 1280, 800, allowed=("/frames",)) as page:
            await sign_in(page, demo, demo.login, demo.password)
            await page.get_by_role("link", name="施設の設定").click()
            await expect(page.get_by_role("table").filter(has_text=BUDOKAN)).to_be_visible(timeout=WAIT)
            await look(page, "facilities")
            main = page.locator("main")
            await expect(main).not_to_contain_text("null")  # nothing empty shown as a word
            await expect(main.locator(".facility-table")).not_to_contain_text("gymnasium")  # kinds in staff's words
            await expect(main.locator(".facility-table")).to_contain_text("体育館（アリーナ）")
            # a new facility: its kind offered in the town's words, kept as the town's code (citizens who ask
            # for テニスコート find it), and a kind of the staff's own kept as typed
            new = page.get_by_role("form", name="施設の登録")
            await new.get_by_label("施設名（必須）").fill("みどり町北原テニスコート")
            await new.get_by_label("施設コード（必須）").fill("kitahara-tennis")
            await expect(new.locator("datalist option[value='テニスコート']")).to_have_count(1)
            await new.get_by_label("分類（必須）").fill("テニスコート")
            await new.get_by_role("button", name="登録する").click()
            await expect(page.get_by_role("heading", name="みどり町北原テニスコート の設定")).to_be_visible(timeout=WAIT)
            await expect(page.get_by_label("分類（必須）")).to_have_value("テニスコート")
            await page.get_by_label("分類（必須）").fill("屋外コート")
            await page.get_by_role("button", name="基本情報と予約の条件を保存する").click()
            await expect(page.get_by_label("分類（必須）")).to_have_value("屋外コート", timeout=WAIT)
            token = await demo.token(demo.login, demo.password)
            _, listed = await demo.admin_call("GET", "/facilities", token=token)
            assert next(f["category"] for f in listed if f["code"] == "kitahara-tennis") == "屋外コート"
            await page.get_by_label("分類（必須）").fill("テニスコート")
            await page.get_by_role("button", name="基本情報と予約の条件を保存する").click()
            await expect(page.get_by_role("status").filter(has_text="施設の設定を保存しました")).to_be_visible(timeout=WAIT)
            _, listed = await demo.admin_call("GET", "/facilities", token=token)
            assert next(f["category"] for f in listed if f["code"] == "kitahara-tennis") == "tennis"
            await page.get_by_role("link", name="施設の設定").click()
            await expect(page.locator("tr", has_text="みどり町北原テニスコート")).to_contain_text("テニスコート", timeout=WAIT)
            await page.get_by_role("link", name=f"{BUDOKAN}の設定を開く").click()
            await expect(page.get_by_role("heading", name=f"{BUDOKAN} の設定")).to_be_visible(timeout=WAIT)
            # a unit, through the form
            units = page.locator("section", has=page.get_by_role("heading", name="室場（部屋・面）"))
            await units.get_by_role("button", name="室場を追加する").click()
            form = units.get_by_role("form", name="室場の追加")
            await form.get_by_label("室場名（必須）").fill("第2研修室")
            await form.get_by_label("室場コード（必須）").fill("kenshu2")
            await form.get_by_label("定員（人）").fill("30")
            kinds = await form.get_by_label("種類").locator("option").all_inner_texts()
            assert kinds == ["部屋（会議室・和室・研修室など）", "コート・アリーナ（全面・半面）", "グラウンド・球場", "区画（キャンプサイトなど）"]
            await form.get_by_label("種類").select_option(label="区画（キャンプサイトなど）")
            # the areas offered are those staff made to share, not one the service made for a unit alone
            offered = await form.get_by_role("group", name="使う共有エリア（全面と半面で同じ場所を使うとき）").get_by_role("checkbox").count()
            await look(page, "facility-unit-form")
            await form.get_by_role("button", name="追加する").click()
            await expect(page.get_by_role("status").filter(has_text="室場を追加しました")).to_be_visible(timeout=WAIT)
            await expect(page.get_by_role("list", name="室場（部屋・面）")).to_contain_text("第2研修室　区画　定員 30人", timeout=WAIT)
            shared = page.get_by_role("list", name="共有エリア")
            await expect(shared).to_contain_text("柔道場")
            await expect(shared).not_to_contain_text("第2研修室")
            await expect(page.get_by_role("heading", name=re.compile(r"^共有エリア"))).to_have_text(f"共有エリア（{offered}件）")
            # a frame for it; a wrong time is refused by the API and shown beside the field
            frames = page.locator("section", has=page.get_by_role("heading", name="予約枠"))
            await frames.get_by_role("button", name="予約枠を追加する").click()
            form = frames.get_by_role("form", name="予約枠の追加")
            await form.get_by_label("枠の名前").fill("研修枠")
            await form.get_by_label("時間（必須）").fill("9:10-12:00")
            await form.get_by_label("室場").select_option(label="第2研修室")
            await form.get_by_role("button", name="追加する").click()
            error = form.locator(".field-error")
            await expect(error).to_contain_text("15分", timeout=WAIT)
            assert await form.get_by_label("時間（必須）").get_attribute("aria-invalid") == "true"
            await look(page, "facility-frame-error")
            await form.get_by_label("時間（必須）").fill("9:00-12:00")
            await form.get_by_role("button", name="追加する").click()
            await expect(page.get_by_role("status").filter(has_text="予約枠を追加しました")).to_be_visible(timeout=WAIT)
            await expect(frames.locator(".setting-list")).to_contain_text("研修枠 9:00-12:00　第2研修室", timeout=WAIT)
            await look(page, "facility-settings")
            # the unit changed, and the facility's 遵守事項 and a booking condition
            await page.get_by_role("button", name="室場「第2研修室　区画　定員 30人　予約枠で受付　公開」を変更").click()
            form = units.get_by_role("form", name="室場の変更")
            await expect(form.get_by_label("種類")).to_have_value("site")
            await form.get_by_label("種類").select_option(label="部屋（会議室・和室・研修室など）")
            await form.get_by_label("定員（人）").fill("24")
            await form.get_by_label("予約のときに活動内容の記入を求める").check()
            await form.get_by_role("button", name="変更を保存する").click()
            await expect(page.get_by_role("list", name="室場（部屋・面）")).to_contain_text("第2研修室　部屋　定員 24人", timeout=WAIT)
            basics = page.get_by_role("form", name="基本情報と予約の条件")
            await basics.get_by_label("遵守事項（予約の前に利用者が同意する内容）").fill("研修室では飲食できません。")
            await basics.get_by_label("取消の締切（利用の何時間前）").fill("24")
            await basics.get_by_role("button", name="基本情報と予約の条件を保存する").click()
            await expect(page.get_by_role("status").filter(has_text="施設の設定を保存しました")).to_be_visible(timeout=WAIT)
            admin = await demo.token(demo.login, demo.password)
            status, every = await demo.admin_call("GET", "/facilities", token=admin)
            budokan = next(f for f in every if f["name"] == BUDOKAN)
            assert (budokan["terms"], budokan["cancel_deadline_hours"]) == ("研修室では飲食できません。", 24)
            status, detail = await demo.admin_call("GET", f"/facilities/{budokan['id']}", token=admin)
            [unit] = [u for u in detail["units"] if u["name"] == "第2研修室"]
            assert (unit["capacity"], unit["activity_required"], unit["kind"]) == (24, True, "room")
            [own] = [a for a in detail["areas"] if a["id"] in unit["area_ids"]]  # kept through the change
            assert own["own_unit_id"] == unit["id"] and own["name"] == "第2研修室"
            # offered on the 施設予約 calendar of that unit
            await page.get_by_role("link", name="施設予約").click()
            await expect(page.locator(".booking-calendar")).to_be_visible(timeout=WAIT)  # the first facility's, loaded
            toolbar = page.locator(".booking-toolbar")
            await toolbar.get_by_label("施設", exact=True).select_option(label=BUDOKAN)
            await toolbar.get_by_label("室場", exact=True).select_option(label="第2研修室")
            await expect(page.locator(".booking-calendar caption")).to_contain_text("第2研修室", timeout=WAIT)
            await page.locator(".booking-calendar td.state-available").first.get_by_role("button").click()
            await expect(page.locator(".booking-day")).to_contain_text("研修枠 9:00-12:00", timeout=WAIT)
            # the staff page: a member limited to the tennis courts
            await page.get_by_role("link", name="職員・ロール").click()
            create = page.locator(".staff-create")
            await create.get_by_label("ログインID").fill("tennis.kanri")
            await create.get_by_label("表示名（所属と氏名）").fill("公園管理 田中")
            await create.get_by_label("初期パスワード").fill("tennis-pass-2026!")
            await create.get_by_label("ロール").select_option(label="施設担当")
            await create.get_by_role("group", name="管理施設（施設の予約・設定を扱う職員のみ）").get_by_label(TENNIS).check()
            await create.get_by_role("button", name="作成する").click()
            row = page.locator("tr", has=page.get_by_role("cell", name="公園管理 田中", exact=True))
            await expect(row.get_by_role("cell", name=TENNIS, exact=True)).to_be_visible(timeout=WAIT)
            admin_row = page.locator("tr", has=page.get_by_role("cell", name="（ご自身）"))
            await expect(admin_row.get_by_role("cell", name="全施設", exact=True)).to_be_visible()
            await look(page, "staff-facilities")
            # changed later: the tennis courts and the 武道館
            await row.get_by_role("button", name="管理施設…").click()
            await row.get_by_role("group", name="公園管理 田中の管理施設").get_by_label(BUDOKAN).check()
            await row.get_by_role("button", name="管理施設を保存する").click()
            await expect(page.get_by_role("status").filter(has_text="管理施設を")).to_be_visible(timeout=WAIT)
            row = page.locator("tr", has=page.get_by_role("cell", name="公園管理 田中", exact=True))
            await expect(row).to_contain_text(BUDOKAN, timeout=WAIT)
            await expect(row).to_contain_text(TENNIS)
        async with console_page(browser, 1280, 800) as page:
            await sign_in(page, demo, "tennis.kanri", "tennis-pass-2026!")
            await page.get_by_role("link", name="施設の設定").click()
            table = page.locator(".facility-table tbody")
            await expect(table.locator("tr")).to_have_count(2, timeout=WAIT)
            await expect(table).to_contain_text(TENNIS)
            await expect(page.get_by_text("管理施設が限定されています")).to_be_visible()
            await expect(page.get_by_role("heading", name="施設を登録する")).to_have_count(0)
            await look(page, "facilities-limited")
            await page.get_by_role("link", name=f"{TENNIS}の設定を開く").click()
            await expect(page.get_by_role("heading", name=f"{TENNIS} の設定")).to_be_visible(timeout=WAIT)
            await expect(page.get_by_role("button", name="この施設を削除する")).to_have_count(0)
            await page.get_by_role("link", name="施設予約").click()
            await expect(page.locator(".booking-calendar")).to_be_visible(timeout=WAIT)
            options = await page.locator(".booking-toolbar").get_by_label("施設", exact=True).locator("option").all_inner_texts()
            assert sorted(options) == sorted([BUDOKAN, TENNIS])
            await look(page, "bookings-limited")
            # the monthly report counts the bookings of their facilities only, and says so
            await page.get_by_role("link", name="月次報告").click()
            await expect(page.locator(".monthly-sheet caption", has_text="施設予約")).to_have_text(
                f"施設予約（管理施設（{BUDOKAN}・{TENNIS}）の予約のみ）", timeout=WAIT)
            await expect(page.locator(".monthly-note")).to_contain_text("ほかの数は町全体です")
            await look(page, "monthly-limited")
        token = await demo.token("tennis.kanri", "tennis-pass-2026!")
        status, facilities = await demo.admin_call("GET", "/facilities", token=token)
        assert status == 200 and sorted(f["name"] for f in facilities) == sorted([BUDOKAN, TENNIS])
        other = next(f for f in every if f["name"] not in (BUDOKAN, TENNIS))
        status, body = await demo.admin_call("GET", f"/facilities/{other['id']}", token=token)
        assert status == 404 and body["error"]["code"] == "not_found"
