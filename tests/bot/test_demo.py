"""The demo as a newcomer meets it: the simulator in headless Chromium, talking to the real bot."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

from playwright.async_api import expect

from bot.demo import serve_demo
from tests.bot.helpers import REPO
from tests.browser import chromium_page

WAIT = 15_000


def _free_pair() -> int:
    """A port p with p + 101 free too (the demo puts linesim there)."""
    for _ in range(50):
        with socket.socket() as a:
            a.bind(("127.0.0.1", 0))
            port = a.getsockname()[1]
        if port + 101 > 65535:
            continue
        with socket.socket() as b:
            try:
                b.bind(("127.0.0.1", port + 101))
            except OSError:
                continue
        return port
    raise RuntimeError("no free port pair")


async def test_simulator_chat_and_rich_menu(tmp_path: Path) -> None:
    port = _free_pair()
    ready, stop = asyncio.Event(), asyncio.Event()
    demo = asyncio.create_task(serve_demo("127.0.0.1", port, tmp_path, REPO / "content", ready, stop))
    try:
        await asyncio.wait_for(ready.wait(), 60)
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
