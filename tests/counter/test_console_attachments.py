"""Attachments in headless Chromium (§(5) q, t, u, v), against the counter role's own service: a 在留カード
attached to a 届書, its number masked from the card's layout, the masked page viewed, a rectangle drawn
over it and saved; then a 委任状 added from a search result and deleted again — axe-core on each state."""

from __future__ import annotations

import io
import random
from pathlib import Path

from PIL import Image
from playwright.async_api import expect

from civic.counter.ocr.layouts import load_dir
from civic.counter.ocr.samples import render, sample_values
from tests.browser import chromium
from tests.counter.conftest import TOWN
from tests.counter.console_page import counter_service, looked_at, signed_in

WAIT = 60_000


async def test_an_attachment_uploaded_masked_viewed_and_masked_more(tmp_path: Path) -> None:
    card = tmp_path / "zairyu.png"
    render(load_dir(TOWN / "counter" / "layouts")["card-zairyu"], sample_values("zairyu", random.Random(5))[0]).save(card)
    ininjo = tmp_path / "ininjo.pdf"
    Image.new("RGB", (620, 877), "white").save(ininjo, "PDF", resolution=75)
    async with counter_service(tmp_path) as base, chromium() as browser:
        context, page, errors = await signed_in(browser, base)
        await page.get_by_role("button", name="手入力で作る").click(timeout=WAIT)
        await expect(page.locator("#c-form")).to_contain_text("作成中", timeout=WAIT)
        # 1. a 在留カード attached: the card's number is masked from its layout
        await page.get_by_label("添付の種類").first.select_option("zairyu")
        await page.get_by_label("ファイル（画像・PDF）").first.set_input_files(str(card))
        await page.get_by_role("button", name="添付する").first.click()
        listed = page.get_by_role("listitem").filter(has_text="在留カード・特別永住者証明書（1 ページ")
        await expect(listed).to_contain_text("マスキング: 在留カード番号", timeout=WAIT)
        # 2. the masked version viewed; a rectangle drawn over the page and saved
        await page.get_by_role("button", name="在留カード・特別永住者証明書のマスキング版を見る").click()
        picture = page.get_by_role("img", name="在留カード・特別永住者証明書の 1 ページ目（マスキング版）")
        await expect(picture).to_be_visible(timeout=WAIT)
        await expect(page.get_by_role("button", name="原本 PDF を保存")).to_have_count(1)  # 管理者 holds counter.numbers
        await looked_at(page, "counter-attachment-masked")
        box = await picture.bounding_box()
        assert box is not None
        await page.mouse.move(box["x"] + box["width"] * 0.14, box["y"] + box["height"] * 0.10)
        await page.mouse.down()
        await page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.2, steps=5)
        await page.mouse.up()
        await expect(page.get_by_role("button", name="長方形 1 を消す")).to_be_visible()
        await page.get_by_role("button", name="マスキングを保存").click()
        await expect(listed).to_contain_text("長方形 1", timeout=WAIT)
        # the page as served now is black where the rectangle was drawn
        shown = await page.evaluate("""async () => {
          const r = await fetch(location.origin + '/admin/api/v1/counter/forms/1/attachments/1/pages/0.png',
            { headers: { Authorization: 'Bearer ' + sessionStorage.getItem('madoguchi.console.token') } });
          return Array.from(new Uint8Array(await r.arrayBuffer()));
        }""")
        image = Image.open(io.BytesIO(bytes(shown))).convert("L")
        assert image.getpixel((int(image.width * 0.3), int(image.height * 0.15))) < 30
        # 3. from a search result: a memo and a 委任状 added without opening the 届書 (§(5) q)
        await page.get_by_role("button", name="のメモ・添付書類").first.click(timeout=WAIT)
        await page.get_by_label("へのメモ").fill("代理人が来庁")
        await page.get_by_role("button", name="メモを追記").click()
        await expect(page.get_by_role("status").filter(has_text="メモを追記しました")).to_be_visible(timeout=WAIT)
        found = page.locator('tr[data-extra="1"]')
        await found.get_by_label("添付の種類").select_option("ininjo")
        await found.get_by_label("ファイル（画像・PDF）").set_input_files(str(ininjo))
        await found.get_by_label("添付のメモ").fill("代理人 山田一郎")
        await found.get_by_role("button", name="添付する").click()
        await expect(found.get_by_role("listitem").filter(has_text="委任状「代理人 山田一郎」")).to_be_visible(timeout=WAIT)
        await looked_at(page, "counter-attachment-search")
        # 4. the 委任状 deleted again, after a confirmation (the 届書 is not 完了)
        await found.get_by_role("button", name="委任状の添付を削除").click()
        dialog = page.get_by_role("dialog")
        await expect(dialog).to_contain_text("原本とマスキング版の両方が消え", timeout=WAIT)
        await looked_at(page, "counter-attachment-delete")
        await dialog.get_by_role("button", name="削除する").click()
        await expect(page.get_by_role("status").filter(has_text="添付書類を削除しました")).to_be_visible(timeout=WAIT)
        await expect(found.get_by_role("listitem").filter(has_text="委任状")).to_have_count(0, timeout=WAIT)
        await context.close()
        assert errors == [], errors
