"""様式の定義 and 運用レポート in headless Chromium, against the counter role's own service: a new town's
転出証明書 defined from a sample image (one region drawn with the mouse, two typed in %), tried on the
sample, saved, then used by ``POST /counter/ocr`` on a fresh scan; an imported definition's error named
by region; the report by 担当課 printable. axe-core on each state, screenshots kept."""

from __future__ import annotations

import asyncio
import json
import random
from pathlib import Path

import aiohttp
from playwright.async_api import expect

from civic.counter.ocr.layouts import load_dir
from civic.counter.ocr.samples import distort, render, sample_values
from tests.browser import chromium
from tests.counter.conftest import TOWN, tennyu
from tests.counter.console_page import counter_service, looked_at, signed_in

WAIT = 60_000
SHIPPED = load_dir(TOWN / "counter" / "layouts")["midori-tenshutsu"]
BOX = {f.name: f.box for f in SHIPPED.fields}


def _scan(path: Path, seed: int) -> dict[str, str]:
    printed, truth = sample_values("tenshutsu", random.Random(seed))
    path.write_bytes(distort(render(SHIPPED, printed), random.Random(seed + 1)))
    return truth


async def _api(base: str, method: str, path: str, **kw: object) -> object:
    async with aiohttp.ClientSession() as http:
        r = await http.post(f"{base}/admin/api/v1/auth/login", json={"login": "kanri", "password": "staff-pass-2026"})
        token = (await r.json())["token"]
        r = await http.request(method, f"{base}/admin/api/v1{path}", headers={"Authorization": f"Bearer {token}"}, **kw)
        assert r.status < 300, (path, r.status, await r.text())
        return await r.json()


async def test_a_layout_drawn_on_a_sample_reads_a_fresh_scan(tmp_path: Path) -> None:
    sample = tmp_path / "sample.jpg"
    truth = _scan(sample, 71)
    async with counter_service(tmp_path) as base, chromium() as browser:
        context, page, errors = await signed_in(browser, base)
        await expect(page.get_by_role("link", name="様式の定義")).to_be_visible(timeout=WAIT)
        await page.get_by_role("link", name="様式の定義").click()
        await expect(page.get_by_role("table", name="定義体 5件")).to_be_visible(timeout=WAIT)
        await looked_at(page, "counter-layouts-list")
        # 1. the new definition: kind, key, name, and the sample straightened to its frame
        await page.get_by_label("書類の種類").select_option("tenshutsu")
        await page.get_by_label("識別名（key）").fill("kurume-tenshutsu")
        await page.get_by_label("名前", exact=True).fill("転出証明書（久留米市）")
        await page.get_by_label("見本の画像").set_input_files(str(sample))
        await page.get_by_role("button", name="見本を読み込む").click()
        frame = page.get_by_test_id("layout-surface").locator("img")
        await expect(frame).to_be_visible(timeout=WAIT)
        # 2. 氏名 drawn with the mouse on the frame
        await page.get_by_label("次に描く項目").select_option("name")
        await frame.evaluate("e => e.scrollIntoView({block: 'start'})")
        shown = await frame.bounding_box()
        assert shown is not None
        left, top, width, height = BOX["name"]
        await page.mouse.move(shown["x"] + left * shown["width"], shown["y"] + top * shown["height"])
        await page.mouse.down()
        await page.mouse.move(shown["x"] + (left + width) * shown["width"],
                              shown["y"] + (top + height) * shown["height"], steps=8)
        await page.mouse.up()
        await expect(page.locator('[name="fields.0.name"]')).to_have_value("name")
        drawn = [float(await page.locator(f'[name="fields.0.box{suffix}"]').input_value()) for suffix in ("", ".1", ".2", ".3")]
        assert all(abs(d - b * 100) < 0.6 for d, b in zip(drawn, BOX["name"], strict=True)), drawn
        # moved by dragging it 10 % to the right, then put back by typing
        box = page.locator('.layout-box[data-index="0"]')
        grip = await box.bounding_box()
        assert grip is not None
        await page.mouse.move(grip["x"] + 30, grip["y"] + grip["height"] / 2)
        await page.mouse.down()
        await page.mouse.move(grip["x"] + 30 + shown["width"] * 0.10, grip["y"] + grip["height"] / 2, steps=5)
        await page.mouse.up()
        moved = float(await page.locator('[name="fields.0.box"]').input_value())
        assert abs(moved - drawn[0] - 10) < 0.6, (moved, drawn[0])
        await page.locator('[name="fields.0.box"]').fill(f"{drawn[0]:.1f}")
        await page.locator('[name="fields.0.box"]').press("Tab")
        # the keyboard: the region's number button, → twice moves it 1 %, then ← twice back
        await page.get_by_role("button", name="1番目の領域（氏名）").press("ArrowRight")
        await page.get_by_role("button", name="1番目の領域（氏名）").press("ArrowRight")
        await expect(page.locator('[name="fields.0.box"]')).to_have_value(f"{drawn[0] + 1:.1f}")
        await expect(page.get_by_role("button", name="1番目の領域（氏名）")).to_be_focused()
        for _ in range(2):
            await page.keyboard.press("ArrowLeft")
        await expect(page.locator('[name="fields.0.box"]')).to_have_value(f"{drawn[0]:.1f}")
        # 3. 生年月日 and 住民票コード typed in % (the keyboard's way)
        for i, name in ((1, "birth_date"), (2, "resident_code")):
            await page.get_by_label("次に描く項目").select_option(name)
            await page.get_by_role("button", name="領域を数値で追加").click()
            await expect(page.locator(f'[name="fields.{i}.name"]')).to_have_value(name)
            for suffix, value in zip(("", ".1", ".2", ".3"), BOX[name], strict=True):
                await page.locator(f'[name="fields.{i}.box{suffix}"]').fill(f"{value * 100:.1f}")
                await page.locator(f'[name="fields.{i}.box{suffix}"]').press("Tab")
        # a fourth region, then removed
        await page.get_by_label("次に描く項目").select_option("kana")
        await page.get_by_role("button", name="領域を数値で追加").click()
        await page.get_by_role("button", name="4番目の領域を削除").click()
        await expect(page.locator('[name="fields.3.name"]')).to_have_count(0)
        # 4. tried on the sample: what each region reads, beside it
        await page.get_by_role("button", name="試しに読み取る").click()
        row = page.locator("table.layout-regions tbody tr").first
        await expect(row.locator(".layout-read")).to_contain_text(truth["name"], timeout=WAIT)
        await expect(page.locator("table.layout-regions tbody tr").nth(2).locator(".layout-read")).to_contain_text(
            truth["resident_code"])
        await looked_at(page, "counter-layouts-drawn")
        # 5. saved: in the list, and read by the counter's OCR on a fresh scan
        await page.get_by_role("button", name="保存する").click()
        await expect(page.get_by_role("table", name="定義体 6件")).to_contain_text("転出証明書（久留米市）", timeout=WAIT)
        fresh = tmp_path / "fresh.jpg"
        truth2 = _scan(fresh, 81)
        form = aiohttp.FormData()
        form.add_field("image", await asyncio.to_thread(fresh.read_bytes), filename="fresh.jpg", content_type="image/jpeg")
        form.add_field("kind", "tenshutsu")
        form.add_field("layout", "kurume-tenshutsu")
        read = await _api(base, "POST", "/counter/ocr", data=form)
        assert isinstance(read, dict) and read["layout"] == "kurume-tenshutsu"
        assert set(read["fields"]) == {"name", "birth_date", "resident_code"}
        assert read["fields"]["name"]["value"] == truth2["name"]
        # ... and chosen at the counter's own OCR
        await page.get_by_role("link", name="書かない窓口").click()
        await page.get_by_label("書類の種類").select_option("tenshutsu")
        await page.get_by_label("様式（定義体）").select_option(label="転出証明書（久留米市）")
        await page.get_by_label("書類の画像").set_input_files(str(fresh))
        await page.get_by_role("button", name="読み取る").click()
        await expect(page.get_by_text("定義体 kurume-tenshutsu")).to_be_visible(timeout=WAIT)
        await expect(page.locator('[name="ocr.name"]')).to_have_value(truth2["name"])
        await expect(page.locator('[name="ocr.kana"]')).to_have_count(0)
        await page.get_by_role("link", name="様式の定義").click()
        await expect(page.get_by_role("table", name="定義体 6件")).to_be_visible(timeout=WAIT)
        # 6. an imported definition with a box outside the frame: the error names the region
        bad = SHIPPED.as_json()
        bad["key"] = "broken-tenshutsu"
        bad["fields"][9]["box"] = [0.7, 0.5, 0.5, 0.05]
        broken = tmp_path / "broken.json"
        await asyncio.to_thread(broken.write_text, json.dumps(bad, ensure_ascii=False), encoding="utf-8")
        await page.get_by_label("定義体の JSON ファイル").set_input_files(str(broken))
        await page.get_by_role("button", name="取り込む").click()
        await expect(page.get_by_role("alert")).to_contain_text("10番目の領域（生年月日）の位置と大きさ: box が画像の外", timeout=WAIT)
        await looked_at(page, "counter-layouts-import-error")
        # a minimal good one (no size, no labels): imported, listed and opened in the editor
        good = tmp_path / "good.json"
        minimal = {"key": "tosu-tenshutsu", "name": "転出証明書（鳥栖市）", "kind": "tenshutsu",
                   "fields": [{"name": "name", "box": list(BOX["name"])}]}
        await asyncio.to_thread(good.write_text, json.dumps(minimal, ensure_ascii=False), encoding="utf-8")
        await page.get_by_label("定義体の JSON ファイル").set_input_files(str(good))
        await page.get_by_role("button", name="取り込む").click()
        await expect(page.get_by_role("table", name="定義体 7件")).to_contain_text("転出証明書（鳥栖市）", timeout=WAIT)
        await expect(page.get_by_role("heading", name="定義体を直す: tosu-tenshutsu")).to_be_visible()
        await expect(page.locator('[name="fields.0.label"]')).to_have_value("氏名")  # the field's own label
        # 7. deleted after a confirmation; only the two staff added offer 削除, the town's four files none
        listing = page.get_by_role("table", name="定義体 7件")
        await expect(listing.get_by_role("button", name="削除")).to_have_count(2)
        await listing.get_by_role("button", name="転出証明書（鳥栖市） を削除").click()
        dialog = page.get_by_role("dialog")
        await expect(dialog).to_contain_text("定義体「転出証明書（鳥栖市）」（tosu-tenshutsu）を削除しますか", timeout=WAIT)
        await looked_at(page, "counter-layouts-delete")
        await dialog.get_by_role("button", name="削除する").click()
        await expect(page.get_by_role("table", name="定義体 6件")).not_to_contain_text("鳥栖市", timeout=WAIT)
        await context.close()
        assert errors == [], errors


async def test_the_report_by_department_is_printable(tmp_path: Path) -> None:
    async with counter_service(tmp_path) as base, chromium() as browser:
        made = await _api(base, "POST", "/counter/forms", json=tennyu())
        assert isinstance(made, dict)
        await _api(base, "POST", f"/counter/forms/{made['id']}/related", json={"template": "kokuho-shutoku"})
        for status in ("review", "done"):
            await _api(base, "PATCH", f"/counter/forms/{made['id']}", json={"status": status})
        context, page, errors = await signed_in(browser, base)
        await expect(page.get_by_role("link", name="運用レポート")).to_be_visible(timeout=WAIT)
        await page.get_by_role("link", name="運用レポート").click()
        department = page.get_by_role("table", name="担当課別")
        await expect(department).to_contain_text("保険年金課", timeout=WAIT)
        await expect(department.get_by_role("row", name="市民課")).to_contain_text("1件")
        await looked_at(page, "counter-report")
        await page.emulate_media(media="print")
        await expect(page.get_by_role("button", name="印刷する（A4）")).to_be_hidden()
        await expect(page.get_by_role("heading", name="書かない窓口 運用レポート")).to_be_visible()
        await expect(department).to_be_visible()
        await page.screenshot(path="/tmp/console-shots/counter-report-print.png", full_page=True)
        await page.emulate_media(media="screen")
        async with page.expect_download() as download:
            await page.get_by_role("button", name="CSV を保存").click()
        csv = await asyncio.to_thread(Path(await (await download.value).path()).read_text, encoding="utf-8-sig")
        assert "担当課別,保険年金課,1," in csv
        await context.close()
        assert errors == [], errors
