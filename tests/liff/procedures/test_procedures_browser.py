"""The page in headless Chromium: walk a tree, enter a household, get the QR; AAA contrast with axe-core.

The sub-app is mounted at /liff/procedures in a parent app, as the service mounts it. Every page is
a guarded one (``tests.browser``): the page's CSP stays on, and a JavaScript error or a CSP
violation fails the test.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from aiohttp import web

from civic.procedures.payload import QrKeyring
from civic.procedures.qr import read_image
from dialogues.procedure import carry_over
from tests.browser import axe_violations, findings, phone_page, run_axe, until
from tests.liff.procedures.conftest import QR_KEY

THEMES = ["blue", "red", "green", "yellow", "purple"]


@pytest.fixture
async def base_url(aiohttp_server, procedures_app) -> str:
    root = web.Application()
    root.add_subapp("/liff/procedures", procedures_app)
    server = await aiohttp_server(root)
    return f"http://127.0.0.1:{server.port}/liff/procedures"



async def aaa_contrast_violations(page) -> list[str]:
    """WCAG AAA (7:1): axe's ``color-contrast-enhanced`` only judges ratios from 4.5 up (it leaves lower
    ratios to the AA rule, as the ACT rules do), so both rules run."""
    result = await run_axe(page, only=["color-contrast", "color-contrast-enhanced"])
    assert {p["id"] for p in result["passes"]} == {"color-contrast", "color-contrast-enhanced"}, "axe checked nothing"
    return findings(result)


async def answer(page, label: str) -> None:
    """Choose an option and go on; wait until the next question (or the result) is on the screen."""
    before = await page.locator("#q-text").text_content()
    await page.get_by_label(label, exact=True).check()
    await page.get_by_role("button", name="次へ").click()
    await until(page, "t => document.getElementById('view-question').hidden || "
                      "document.getElementById('q-text').textContent !== t", before)


async def test_a_family_walks_the_tennyu_tree_enters_the_household_and_gets_the_qr(browser, base_url) -> None:
    async with phone_page(browser, line=True) as page:  # as LINE's in-app browser on a phone
        await walk_tennyu(page, base_url)


async def walk_tennyu(page, base_url: str) -> None:
    await page.goto(base_url + "/")
    assert not await axe_violations(page)
    await page.get_by_role("button", name=re.compile("転入（町外から）")).click()
    await page.get_by_role("progressbar").wait_for()
    assert await page.locator("#q-progress-text").text_content() == "0"
    assert not await axe_violations(page)
    # required: "次へ" without a choice is refused on the page
    await page.get_by_role("button", name="次へ").click()
    assert "回答が必要" in await page.locator("#q-error").text_content()
    await answer(page, "国内の他の市区町村")
    await page.locator("#q-help summary").click()  # the plain-language explanation (item m)
    assert "マイナポータル" in await page.locator("#q-help-text").text_content()
    await answer(page, "窓口・郵送で")
    await answer(page, "はい")  # 転出証明書 (the third level)
    assert int(await page.locator("#q-progress-text").text_content()) > 0
    await page.locator("#q-date-input").fill("令和8年2月30日")  # impossible date (item r)
    await page.get_by_role("button", name="次へ").click()
    await page.locator("#q-error", has_text="28日まで").wait_for()
    await page.locator("#q-date-input").fill("令和8年11月28日")
    await page.get_by_role("button", name="次へ").click()
    await page.locator("#q-text", has_text="マイナンバーカード").wait_for()
    for label in ["はい", "はい", "いない", "はい", "はい", "いいえ", "いいえ", "いいえ"]:
        await answer(page, label)
    await page.locator("#view-result").wait_for(state="visible")
    results = await page.locator("#r-list > li h2").all_text_contents()
    assert results[0] == "転入届" and "小学校・中学校の転入学の手続き" in results
    assert "2026年12月14日（月）まで" in await page.locator("#r-list > li").first.text_content()
    assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")  # responsive
    assert await page.get_by_role("button", name="印刷する").is_visible()
    assert not await axe_violations(page)

    await page.get_by_role("button", name="世帯の情報を入力する").click()
    await page.locator("#view-household").wait_for(state="visible")
    await page.get_by_label("郵便番号（7桁）").first.fill("8380141")  # 小郡市: not みどり町
    await page.locator("#a-new-region").wait_for()
    await until(page, "() => document.getElementById('a-new-region').value.startsWith('福岡県小郡市')")
    await page.locator("#a-new-detail").fill("二丁目1234番地5 グリーンハイツ305号室")
    await page.locator("#a-old-postal_code").fill("150-0001")
    await until(page, "() => document.getElementById('a-old-region').value === '東京都渋谷区神宮前'")
    await page.locator("#a-old-detail").fill("六丁目23番地4")
    family = [("長谷川 龍之介", "昭和54年4月12日", "男", "世帯主"), ("長谷川 美智恵", "1981-11-30", "女", "妻"),
              ("長谷川 陽菜乃", "平成22年7月5日", "女", "子"), ("長谷川 虎太郎", "2015/2/22", "男", "子")]
    for i, (name, born, sex, rel) in enumerate(family):
        if i:
            await page.get_by_role("button", name="人を追加する").click()
        box = page.locator(".person").nth(i)
        await box.locator("[name=name]").fill(name)
        await box.locator("[name=name]").blur()
        await until(page, f"() => document.querySelectorAll('.person [name=kana]')[{i}].value.startsWith('ハセガワ')")
        await box.locator("[name=birth_date]").fill(born)
        await box.locator(f"input[type=radio][value='{sex}']").check()
        await box.locator("[name=relationship]").select_option(rel)
    assert await page.locator(".person [name=kana]").first.input_value() == "ハセガワ\u3000リュウノスケ"
    await page.get_by_role("button", name="確認して二次元コードを作る").click()
    await page.locator("#a-new-postal_code-error", has_text="みどり町の住所ではありません").wait_for()
    assert await page.locator("#a-new-postal_code").get_attribute("aria-invalid") == "true"
    assert not await aaa_contrast_violations(page)  # the form with its error messages
    assert not await axe_violations(page)

    await page.locator("#a-new-postal_code").fill("839-0902")
    await until(page, "() => document.getElementById('a-new-region').value.endsWith('緑ヶ丘')")
    await page.get_by_role("button", name="確認して二次元コードを作る").click()
    await page.locator("#view-qr").wait_for(state="visible")
    image = page.locator("#qr-codes img")
    assert await image.count() == 1
    # scan the code from the screen, as the counter's camera would
    shot = await image.screenshot()
    [scanned] = read_image(shot)
    ticket = QrKeyring(QR_KEY).open(scanned)
    assert [p.kana for p in ticket.household.people][3] == "ハセガワ\u3000コタロウ"
    assert ticket.household.address("new").region == "福岡県みどり郡みどり町緑ヶ丘" and 101 in ticket.procedures
    assert not await aaa_contrast_violations(page)
    assert not await axe_violations(page)
    # the page holds nothing to resend: the server draft is gone
    assert await page.locator("#h-people .person").count() == 0


@pytest.mark.parametrize("theme", THEMES)
async def test_every_base_colour_meets_wcag_aaa_contrast(page, base_url, theme: str) -> None:
    await page.goto(f"{base_url}/?theme={theme}")
    header = await page.locator("header.site").evaluate("e => getComputedStyle(e).backgroundColor")
    assert header != "rgba(0, 0, 0, 0)"
    assert not await aaa_contrast_violations(page)
    await page.get_by_role("button", name=re.compile("証明書の請求")).click()
    await page.locator("#q-text").wait_for()
    await page.get_by_role("button", name="次へ").click()  # the error message too
    await page.locator("#q-error", has_text="回答が必要").wait_for()
    await answer(page, "戸籍謄本・抄本")
    await page.locator("#q-help summary").click()  # 本籍地 explained
    await page.locator("#q-help-text", has_text="戸籍がある場所").wait_for()
    assert not await aaa_contrast_violations(page)
    for label in ["はい", "はい"]:
        await answer(page, label)
    await page.locator("#view-result").wait_for(state="visible")
    assert not await aaa_contrast_violations(page)


async def test_the_counter_page_opens_a_pasted_code(page, base_url) -> None:
    # a resident issues a code through the API
    request = page.request
    start = await (await request.post(f"{base_url}/api/sessions", data={"event": "shomei"})).json()
    token = start["token"]
    for qid, value in [("kind", "jumin"), ("requester", "self"), ("card", "no")]:
        await request.post(f"{base_url}/api/sessions/{token}/answer", data={"question_id": qid, "value": value})
    household = {"people": [{"name": "山田 花子", "kana": "ヤマダ ハナコ", "birth_date": "1990-01-01", "sex": "女",
                             "relationship": "世帯主"}],
                 "addresses": {"current": {"postal_code": "8390901", "detail": "1番地"}}}
    await request.put(f"{base_url}/api/sessions/{token}/household", data={"household": household})
    issued = await (await request.post(f"{base_url}/api/sessions/{token}/qr", data={})).json()
    text = issued["codes"][0]["text"]

    await page.goto(f"{base_url}/counter")
    await page.locator("#qr-text").fill(text)
    await page.get_by_role("button", name="読み取る").click()
    await page.locator("#scan-error", has_text="ログイン").wait_for()
    await page.locator("#staff-token").fill("counter")
    await page.get_by_role("button", name="ログイン").click()
    await page.get_by_role("button", name="読み取る").click()
    await page.locator("#ticket").wait_for(state="visible")
    assert "山田\u3000花子" in await page.locator("#t-people").text_content()
    assert "住民票の写しの請求" in await page.locator("#t-procedures").text_content()
    assert not await aaa_contrast_violations(page)
    await page.locator("#qr-text").fill(text[:-3] + ("AAA" if not text.endswith("AAA") else "BBB"))
    await page.get_by_role("button", name="読み取る").click()
    await page.locator("#scan-error", has_text="壊れて").wait_for()  # tampered or corrupt, both refused


async def set_strong(page, colour: str) -> None:
    """The theme's strong colour changed through the CSSOM (an inline <style> would break the CSP)."""
    await page.evaluate("c => document.documentElement.style.setProperty('--strong', c)", colour)


async def test_the_contrast_check_catches_a_pale_colour(page, base_url) -> None:
    await page.goto(f"{base_url}/?theme=blue")
    await set_strong(page, "#3466A8")  # AA (about 5.5:1) but not AAA
    found = await aaa_contrast_violations(page)
    assert found and all(v.startswith("color-contrast-enhanced") for v in found)
    await set_strong(page, "#7A9CC6")  # a pale blue: about 2.5:1, fails AA too
    assert any(v.startswith("color-contrast ") for v in await aaa_contrast_violations(page))


async def test_answers_from_the_talk_open_the_page_where_the_talk_left_off(page, base_url) -> None:
    """The talk's result links here with its answers in the fragment (``dialogues.procedure.carry_over``):
    the page opens at that result, not at the list of events, and the answers leave the address bar."""
    answers = {"kind": "jumin", "requester": "self", "card": "no"}
    await page.goto(f"{base_url}/#{carry_over('shomei', answers)}")
    await page.locator("#view-result").wait_for(state="visible")
    assert "住民票の写しの請求" in await page.locator("#r-list").text_content()
    assert urlsplit(page.url).fragment == ""
    assert not await axe_violations(page)
    await page.get_by_role("button", name=re.compile("世帯の情報を入力する|二次元コード")).first.wait_for()


async def test_answers_carried_over_in_part_open_the_next_question(page, base_url) -> None:
    """Answered up to a point (or an answer the page refuses): the page asks the next question."""
    await page.goto(f"{base_url}/#{carry_over('shomei', {'kind': 'jumin', 'requester': 'nobody-knows'})}")
    await page.locator("#view-question").wait_for(state="visible")
    assert int(await page.locator("#q-progress-text").text_content()) > 0
    assert await page.locator("#q-back").is_visible()
    await page.goto("about:blank")
    await page.goto(f"{base_url}/#event=no-such-event")
    await page.locator("#events button").first.wait_for()
    assert await page.locator("#view-start").is_visible()
