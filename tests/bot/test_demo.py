"""The demo as a newcomer meets it: the simulator in headless Chromium, talking to the real bot, and
the citizen pages it opens (forms, booking, 手続きナビ) as LINE opens LIFF apps — with an ID token."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import pytest
from playwright.async_api import Locator, Page, expect

from bot.demo import serve_demo
from tests.bot.helpers import REPO
from tests.browser import axe_violations, chromium_page

WAIT = 15_000


#: Where the demo listens, from its base port: the bot, the counter, linesim, the mail catcher, the mailbox.
DEMO_OFFSETS = (0, 10, 101, 102, 103)


def _free_pair() -> int:
    """A base port p with every port the demo opens from it free (``DEMO_OFFSETS``)."""
    for _ in range(100):
        with socket.socket() as a:
            a.bind(("127.0.0.1", 0))
            port = a.getsockname()[1]
        if port + max(DEMO_OFFSETS) > 65535:
            continue
        if all(_free(port + offset) for offset in DEMO_OFFSETS[1:]):
            return port
    raise RuntimeError("no free ports for the demo")


def _free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


async def test_simulator_chat_and_rich_menu(tmp_path: Path) -> None:
    port = _free_pair()
    ready, stop = asyncio.Event(), asyncio.Event()
    demo = asyncio.create_task(serve_demo("127.0.0.1", port, tmp_path, REPO / "content", ready, stop))
    try:
        await asyncio.wait_for(ready.wait(), 180)  # a bound, not a speed check: the demo trains the NLU on start
        async with chromium_page() as page:
            await page.goto(f"http://127.0.0.1:{port + 101}/simulator")
            await page.get_by_test_id("new-user-name").fill("山田 花子")
            await page.get_by_test_id("create-user").click()
            bot = page.get_by_test_id("bot-message")
            await expect(bot.filter(has_text="友だち追加ありがとうございます")).to_have_count(1, timeout=WAIT)
            await expect(bot.filter(has_text="「はじめてのアンケート」（全5問）")).to_have_count(1, timeout=WAIT)
            await page.get_by_test_id("message-input").fill("こんにちは")
            await page.get_by_test_id("send-button").click()
            await expect(page.get_by_test_id("user-message").filter(has_text="こんにちは")).to_have_count(1)
            await expect(bot).to_have_count(3, timeout=WAIT)  # welcome, the questionnaire offer, the answer
            # the demo town's rich menu (shown open, as `selected`): tap 「ごみ分別」
            toggle = page.get_by_test_id("richmenu-toggle")
            await expect(toggle).to_have_attribute("aria-expanded", "true", timeout=WAIT)
            await page.locator('[data-testid="richmenu-area"][aria-label="ごみ分別"]').click()
            await expect(bot).to_have_count(4, timeout=WAIT)
            await expect(bot.last).to_contain_text("ごみ")
            # a whole garbage lookup through the dialogue, in free text
            await page.get_by_test_id("message-input").fill("スプレー缶")
            await page.get_by_test_id("send-button").click()
            await expect(bot.filter(has_text="有害ごみ")).not_to_have_count(0, timeout=WAIT)
    finally:
        stop.set()
        await asyncio.wait_for(demo, 30)


async def opened(page: Page, button: Locator) -> Page:
    """The page a URI button opens (a new tab stands in for LINE's LIFF browser)."""
    async with page.context.expect_page() as popup:
        await button.click()
    tab = await popup.value
    await tab.wait_for_load_state()
    return tab


async def tap(page: Page, label: str) -> None:
    """Tap a quick reply and wait for the bot's answer."""
    bot = page.get_by_test_id("bot-message")
    before = await bot.count()
    await page.get_by_test_id("quick-reply").filter(has_text=label).first.click()
    await expect(bot).not_to_have_count(before, timeout=WAIT)


@pytest.mark.slow
async def test_the_citizen_pages_open_from_the_simulator_as_liff_apps(tmp_path: Path) -> None:
    """Forms, booking calendar and 手続きナビ answer the citizen (no 401), 手続きナビ at the point the
    talk reached; every page passes axe at phone size."""
    port = _free_pair()
    ready, stop = asyncio.Event(), asyncio.Event()
    demo = asyncio.create_task(serve_demo("127.0.0.1", port, tmp_path, REPO / "content", ready, stop))
    try:
        await asyncio.wait_for(ready.wait(), 180)  # a bound, not a speed check: the demo trains the NLU on start
        async with chromium_page() as page:
            await page.goto(f"http://127.0.0.1:{port + 101}/simulator")
            assert not await axe_violations(page)
            await page.get_by_test_id("new-user-name").fill("山田 花子")
            await page.get_by_test_id("create-user").click()
            bot = page.get_by_test_id("bot-message")
            await expect(bot.filter(has_text="「はじめてのアンケート」（全5問）")).to_have_count(1, timeout=WAIT)
            assert not await axe_violations(page)

            await tap(page, "回答する")
            forms = await opened(page, page.get_by_role("button", name="画面でまとめて入力する"))
            assert "id_token" not in forms.url
            await forms.locator("#q-age_group input[value='40s']").check()
            await forms.locator("#q-area select").select_option("sakuradai")
            assert not await axe_violations(forms)
            await forms.locator("#save").click()
            await expect(forms.locator("#thanks")).to_be_visible(timeout=WAIT)

            await page.locator('[data-testid="richmenu-area"][aria-label="予約"]').click()
            await expect(page.get_by_test_id("quick-reply").filter(has_text="カレンダーで見る")).to_have_count(1, timeout=WAIT)
            booking = await opened(page, page.get_by_test_id("quick-reply").filter(has_text="カレンダーで見る"))
            await expect(booking.get_by_role("heading", name="施設を選んでください")).to_be_visible(timeout=WAIT)
            assert not await axe_violations(booking)
            await booking.get_by_role("button", name="予約の確認・取消").click()
            await expect(booking.get_by_text("これからのご予約はありません。")).to_be_visible(timeout=WAIT)

            await page.locator('[data-testid="richmenu-area"][aria-label="手続きナビ"]').click()
            await expect(page.get_by_test_id("quick-reply").filter(has_text="証明書の請求")).to_have_count(1, timeout=WAIT)
            for label in ("証明書の請求", "住民票の写し", "本人・同じ世帯の方", "いいえ"):
                await tap(page, label)
            procedures = await opened(page, page.get_by_role("button", name="事前入力とQRコード").last)
            await expect(procedures.locator("#view-result")).to_be_visible(timeout=WAIT)
            await expect(procedures.locator("#r-list")).to_contain_text("住民票の写しの請求")
            assert not await axe_violations(procedures)
    finally:
        stop.set()
        await asyncio.wait_for(demo, 30)
