"""``python -m bench console``: the staff console in headless Chromium against the running demo.

Measures the dashboard's time to first render (navigation → all charts drawn, median of runs), the
console's JS + CSS + HTML size, and the admin-API calls each main task takes.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import statistics
import tempfile
import time
from pathlib import Path

import aiohttp
from PIL import Image

from tests.browser import chromium
from tests.console.conftest import running_demo

CONSOLE = Path(__file__).resolve().parent.parent / "console"


def console_size() -> dict[str, int]:
    files = [*CONSOLE.glob("index.html"), *CONSOLE.rglob("*.js"), *CONSOLE.rglob("*.css")]
    return {"files": len(files), "bytes": sum(f.stat().st_size for f in files)}


async def run(runs: int, friends: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        async with running_demo(Path(tmp)) as demo, chromium() as browser:
            sim = f"{demo.url.rsplit(':', 1)[0]}:{int(demo.url.rsplit(':', 1)[1]) + 101}"
            async with aiohttp.ClientSession() as http:
                for i in range(friends):
                    async with http.post(f"{sim}/linesim/api/users", json={"displayName": f"利用者{i}", "follow": True}):
                        pass
            context = await browser.new_context(locale="ja-JP", viewport={"width": 1280, "height": 800})
            page = await context.new_page()
            calls: list[str] = []
            page.on("request", lambda r: "/admin/api/v1/" in r.url and calls.append(f"{r.method} {r.url.split('/v1')[1]}"))
            await page.goto(f"{demo.url}/admin/")
            await page.locator('input[autocomplete="username"]').fill(demo.login)
            await page.locator('input[autocomplete="current-password"]').fill(demo.password)
            await page.get_by_role("button", name="ログイン").click()
            await page.locator("svg.chart").nth(4).wait_for()
            await page.wait_for_load_state("networkidle")
            sign_in_and_dashboard = list(calls)
            timings = []
            for _ in range(runs):
                await page.goto("about:blank")
                start = time.perf_counter()
                await page.goto(f"{demo.url}/admin/#/dashboard")
                await page.locator("svg.chart").nth(4).wait_for()
                timings.append((time.perf_counter() - start) * 1000)
            await page.wait_for_load_state("networkidle")
            calls.clear()
            await page.get_by_role("link", name="セグメント").click()
            await page.get_by_role("button", name="新しいセグメントを作る").click()
            await page.get_by_role("button", name="条件を追加").click()
            await page.get_by_label("項目").select_option("friend_days")
            await page.get_by_label("から").fill("0")
            await page.get_by_test_id("segment-count").filter(has_text=f"{friends}人").wait_for()
            await page.get_by_label("名前").fill("ベンチ")
            await page.get_by_role("button", name="保存する").click()
            await page.get_by_role("cell", name="ベンチ").wait_for()
            segment_task = list(calls)
            richmenu_tasks = await richmenu_calls(page, calls)
            await context.close()
    return {"dashboard_first_render_ms": {"median": round(statistics.median(timings)), "max": round(max(timings)),
                                          "runs": runs, "friends": friends},
            "console_size": console_size(),
            "api_calls": {"sign_in_and_dashboard": len(sign_in_and_dashboard),
                          "build_and_save_segment": len(segment_task),
                          "segment_previews": sum(c.startswith("POST /segments/preview") for c in segment_task),
                          **richmenu_tasks}}


async def richmenu_calls(page, calls: list[str]) -> dict[str, int]:
    """API calls of the rich-menu tasks: open the page; create a menu, upload its image, draw two
    areas and save; publish to the test account; promote to production."""
    out: dict[str, int] = {}

    async def step(name: str, work) -> None:
        await page.wait_for_load_state("networkidle")
        calls.clear()
        await work()
        await page.wait_for_load_state("networkidle")
        out[name] = len(calls)

    async def open_page() -> None:
        await page.get_by_role("link", name="リッチメニュー").click()
        await page.get_by_role("cell", name="メインメニュー", exact=True).wait_for()

    async def make_menu() -> None:
        image = io.BytesIO()
        Image.new("RGB", (2500, 843), "#1565C0").save(image, "PNG")
        await page.get_by_role("button", name="新しいメニューを作る").click()
        await page.get_by_label("名前（管理用）").fill("ベンチのメニュー")
        await page.get_by_label("大きさ").select_option("compact")
        await page.get_by_role("button", name="作成する").click()
        await page.locator('input[name="image"]').set_input_files(
            {"name": "menu.png", "mimeType": "image/png", "buffer": image.getvalue()})
        for left in (0.05, 0.55):
            box = await page.locator("svg.areas-layer").bounding_box()
            await page.mouse.move(box["x"] + box["width"] * left, box["y"] + box["height"] * 0.1)
            await page.mouse.down()
            await page.mouse.move(box["x"] + box["width"] * (left + 0.4), box["y"] + box["height"] * 0.9, steps=4)
            await page.mouse.up()
        await page.locator('input[name="areas.0.action.text"]').fill("ごみ")
        await page.locator('input[name="areas.1.action.text"]').fill("施設")
        await page.get_by_role("button", name="保存する").click()
        await page.get_by_text("このメニューは公開できます").wait_for()
        await page.get_by_role("button", name="一覧に戻る").click()
        await page.get_by_role("cell", name="ベンチのメニュー", exact=True).wait_for()

    async def publish_test() -> None:
        await page.get_by_role("button", name="テスト用アカウントに公開").click()
        await page.get_by_role("status").filter(has_text="第2版を公開しました").wait_for()

    async def promote() -> None:
        await page.get_by_role("button", name="テスト用の内容を公開用アカウントに反映").click()
        await page.get_by_role("button", name="公開する").click()
        await page.get_by_role("status").filter(has_text="公開用アカウントに第2版").wait_for()

    await step("open_richmenus", open_page)
    await step("create_draw_and_save_richmenu", make_menu)
    await step("publish_richmenus_to_test", publish_test)
    await step("promote_richmenus", promote)
    return out


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench console")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--friends", type=int, default=50)
    args = parser.parse_args(argv)
    result = asyncio.run(run(args.runs, args.friends))
    for key, value in result.items():
        print(f"{key}: {value}")
    return 0
