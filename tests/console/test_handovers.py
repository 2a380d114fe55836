"""有人チャット in the console (issue #17), in headless Chromium against the running demo: a citizen in
linesim asks for a person, a staff member sees the conversation, a new citizen message appears live
(server-sent events: the page's 3-second polling is off while the stream is live) and the staff
member's reply, picked from a reply template, reaches the simulator. Prints the measured times
(citizen message → on screen; staff reply → linesim)."""

from __future__ import annotations

import statistics
import time
from pathlib import Path
from typing import Any

import aiohttp
from playwright.async_api import expect

from tests.browser import chromium
from tests.console.conftest import Demo, running_demo
from tests.console.test_console import WAIT, console_page, look, sign_in
from tests.console.test_deliveries import sim_url
from tests.dialogues.conftest import photo


async def _citizen(demo: Demo, name: str) -> str:
    async with aiohttp.ClientSession() as http, http.post(
            f"{sim_url(demo)}/linesim/api/users", json={"displayName": name, "follow": True}) as r:
        assert r.status == 201, await r.text()
        return str((await r.json())["userId"])


async def _say(demo: Demo, user: str, text: str) -> None:
    async with aiohttp.ClientSession() as http, http.post(
            f"{sim_url(demo)}/linesim/api/users/{user}/actions", json={"type": "text", "text": text}) as r:
        assert r.status < 300, await r.text()


async def _bot_texts(demo: Demo, user: str) -> list[str]:
    async with aiohttp.ClientSession() as http, http.get(f"{sim_url(demo)}/linesim/api/users/{user}/timeline") as r:
        return [str(e["message"].get("text", "")) for e in (await r.json())["entries"] if e["sender"] == "bot"]


async def _template(demo: Demo, title: str, text: str) -> None:
    status, body = await demo.admin_call("POST", "/handover-templates", {"title": title, "text": text},
                                         token=await demo.token(demo.login, demo.password))
    assert status == 201, body


async def test_staff_see_a_citizen_message_live_and_reply(tmp_path: Path) -> None:
    async with running_demo(tmp_path) as demo, chromium() as browser:
        user = await _citizen(demo, "有人 太郎")
        await _say(demo, user, "職員と話したい")
        await _template(demo, "窓口のあいさつ", "担当の窓口です。ご用件を承ります。")
        async with console_page(browser, 1280, 800) as page:
            await sign_in(page, demo, demo.login, demo.password)
            await page.get_by_role("link", name="有人チャット").click()
            conversation = page.locator("[data-handover]").first
            await expect(conversation).to_be_visible(timeout=WAIT)
            await conversation.click()
            await expect(page.get_by_role("heading", name="との会話")).to_be_visible(timeout=WAIT)
            await look(page, "handovers")
            await expect(page.locator("[data-live=on]")).to_be_visible(timeout=WAIT)  # the stream is up
            streams: list[str] = []
            page.on("request", lambda r: streams.append(r.url) if "/handovers/events" in r.url else None)

            to_screen: list[float] = []
            for n in range(5):
                text = f"住民票の写しについて質問です（{n + 1}）"
                started = time.perf_counter()
                await _say(demo, user, text)
                await expect(page.locator(".handover-log").get_by_text(text)).to_be_visible(timeout=WAIT)
                to_screen.append(time.perf_counter() - started)

            async with aiohttp.ClientSession() as http, http.post(
                    f"{sim_url(demo)}/linesim/api/users/{user}/images", data=photo(),
                    headers={"Content-Type": "image/jpeg"}) as r:
                assert r.status < 300, await r.text()
            await page.get_by_role("button", name="画像を表示").click(timeout=WAIT)
            await expect(page.get_by_role("img", name="利用者が送った画像")).to_be_visible(timeout=WAIT)

            await expect(page.locator("[data-live=on]")).to_be_visible()  # still live: no reconnection was needed
            assert streams == []
            await page.get_by_label("定型文").select_option(label="窓口のあいさつ")
            await expect(page.get_by_label("返信")).to_have_value("担当の窓口です。ご用件を承ります。")
            started = time.perf_counter()
            await page.get_by_role("button", name="送信する").click()
            to_sim: float | None = None
            for _ in range(300):
                if "【職員より】\n担当の窓口です。ご用件を承ります。" in await _bot_texts(demo, user):
                    to_sim = time.perf_counter() - started
                    break
                await page.wait_for_timeout(20)
            assert to_sim is not None, await _bot_texts(demo, user)
            await expect(page.locator(".handover-log .msg.staff")).to_have_count(1)

            await page.get_by_role("button", name="終了する").click()
            await page.locator("#confirm-yes").click()
            await expect(page.locator(".handover-pane [role=status]")).to_have_text("会話を終了しました。", timeout=WAIT)
            for _ in range(300):
                if any("職員とのやりとりを終了しました" in t for t in await _bot_texts(demo, user)):
                    break
                await page.wait_for_timeout(20)
            else:
                raise AssertionError("the citizen was not told the conversation ended")

            # the dashboard's figures: hand-overs, waiting time to the first reply, who handled them
            await page.get_by_role("link", name="ダッシュボード").click()
            figures = page.get_by_test_id("handover-figures")
            await expect(figures).to_contain_text("受付 1件（職員が返信 1件）", timeout=WAIT)
            await expect(figures.locator("svg.chart")).to_have_count(2)
            await expect(figures.get_by_role("list", name="担当した職員")).to_contain_text("1件")
            await look(page, "dashboard-handovers")
        print(_report(to_screen, to_sim))


def _report(to_screen: list[float], to_sim: float) -> str:
    ms = sorted(x * 1000 for x in to_screen)
    p95: Any = ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]
    return (f"\ncitizen message → console: p50 {statistics.median(ms):.0f} ms, p95 {p95:.0f} ms (n={len(ms)}, server-sent events);"
            f" staff reply → linesim {to_sim * 1000:.0f} ms")
