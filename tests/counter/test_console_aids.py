"""The counter form's input aids and related forms in headless Chromium, against the counter role's own
service: an address picked by the first kana of each level, a kanji found by reading and 部首 and put into
the name field, 本籍 copied from the first member, a related form made and saved — axe-core on each state."""

from __future__ import annotations

import asyncio
from pathlib import Path

from playwright.async_api import expect

from tests.browser import chromium
from tests.counter.console_page import counter_service, looked_at, signed_in

WAIT = 60_000


async def test_address_kanji_copy_and_related_forms_in_the_browser(tmp_path: Path) -> None:
    async with counter_service(tmp_path) as base, chromium() as browser:
        context, page, errors = await signed_in(browser, base)
        await page.get_by_role("button", name="手入力で作る").click(timeout=WAIT)
        await expect(page.locator("#c-form")).to_contain_text("作成中", timeout=WAIT)
        # a member more, so that copy-input has somewhere to copy to
        await page.locator('[name="members.0.name"]').fill("山")
        await page.get_by_role("button", name="世帯員を追加").click()
        await expect(page.locator('[name="members.1.name"]')).to_be_visible(timeout=WAIT)
        # 1. the new address by the first kana of each level: ふ(福岡県) く(久留米市) み(御井町)
        await page.get_by_role("button", name="住所を一覧・頭文字から選ぶ").first.click()
        dialog = page.get_by_role("dialog", name="住所・本籍を選ぶ")
        await dialog.get_by_label("頭文字（かな）").fill("ふくみ")
        await expect(dialog.get_by_label("町域・大字").locator("option", has_text="御井町（ミイマチ）")).to_have_count(1, timeout=WAIT)
        await looked_at(page, "counter-aids-address")
        await dialog.get_by_label("町域・大字").select_option(label="御井町（ミイマチ）")
        await dialog.get_by_role("button", name="この町域を入れる").click()
        await expect(page.locator('[name="household.new_address.text"]')).to_have_value("福岡県久留米市御井町")
        await expect(page.locator('[name="household.new_address.postal_code"]')).to_have_value("839-0851")
        # 2. 本籍 by the lists: 福岡県 → 三井郡大刀洗町 → 鵜木
        await page.get_by_role("button", name="本籍を一覧・頭文字から選ぶ").first.click()
        await dialog.get_by_label("都道府県").select_option(label="福岡県")
        await expect(dialog.get_by_label("市区町村").locator("option", has_text="三井郡大刀洗町")).to_have_count(1, timeout=WAIT)
        await dialog.get_by_label("市区町村").select_option(label="三井郡大刀洗町")
        await dialog.get_by_label("町域・大字").locator("option", has_text="鵜木").wait_for(state="attached", timeout=WAIT)
        await dialog.get_by_label("町域・大字").select_option(label="鵜木（ウノキ）")
        await dialog.get_by_role("button", name="この町域を入れる").click()
        await expect(page.locator('[name="members.0.honseki"]')).to_have_value("福岡県三井郡大刀洗町鵜木")
        # 3. 単漢字検索: 崎 by reading and 部首, into the name field that had the focus
        name = page.locator('[name="members.0.name"]')
        await name.click()
        await name.press("End")
        await page.get_by_text("見つからない漢字を読み・部首・画数で探す").click()
        await page.get_by_label("読み", exact=True).fill("さき")
        await page.get_by_label("部首", exact=True).fill("山")
        await page.get_by_role("button", name="漢字を探す").click()
        await page.get_by_role("button", name="崎（").first.click(timeout=WAIT)
        await expect(name).to_have_value("山崎")
        await looked_at(page, "counter-aids-kanji")
        # 4. copy-input: the second member's 本籍・筆頭者 as the first's
        await page.locator('[name="members.0.hittousha"]').fill("山崎一郎")
        await page.get_by_role("button", name="世帯員2の本籍・筆頭者を世帯員1と同じにする").click()
        await expect(page.locator('[name="members.1.honseki"]')).to_have_value("福岡県三井郡大刀洗町鵜木")
        await expect(page.locator('[name="members.1.hittousha"]')).to_have_value("山崎一郎")
        second = page.locator('[name="members.1.name"]')
        await second.focus()  # names typed once in the household are offered again
        names = await second.get_attribute("list")
        await expect(page.locator(f'datalist[id="{names}"] option[value="山崎"]')).to_have_count(1)
        await page.get_by_role("button", name="保存する").click()
        await expect(page.get_by_role("status").filter(has_text="保存しました")).to_be_visible(timeout=WAIT)
        # 5. a related form, two copies with the purpose, then saved as PDF
        related = page.locator('section[aria-labelledby="c-related"]')
        await related.get_by_label("様式").select_option(label="住民票の写し等交付申請書")
        await related.get_by_label("通数").fill("2")
        await related.get_by_label("使いみち").fill("児童手当の申請")
        await related.get_by_role("button", name="関連申請書を作る").click()
        await expect(related.get_by_role("listitem")).to_have_count(2, timeout=WAIT)
        async with page.expect_download() as download:
            await related.get_by_role("button", name="PDF を保存").click()
        pdf = Path(await (await download.value).path())
        assert (await asyncio.to_thread(pdf.read_bytes)).startswith(b"%PDF")
        await looked_at(page, "counter-aids-related")
        await context.close()
        assert errors == [], errors
