"""``python -m bench segment_console``: a 50,000-citizen segment count from the staff console.

    python -m bench segment_console [--citizens 50000] [--calls 20] [--runs 5] [--backend sqlite|postgresql|both]

1. Starts the demo service (on SQLite as ``make demo``, or on a throw-away PostgreSQL database at
   127.0.0.1:5432) and adds ``--citizens`` friends with the demo attributes to its database
   (``bench.deliveries.populate``: area, age group, interests, encrypted birth dates, children's
   birth dates, follow dates).
2. Times ``POST /admin/api/v1/segments/preview`` (count, test accounts and a sample of 5, as the
   console asks) through the running service for the typical filters of ``bench.deliveries``:
   p50 and p95 of ``--calls`` calls each, after one warm-up.
3. Times the console itself in headless Chromium, measured in the page (``performance.now()`` at the
   click, a MutationObserver for the text): from clicking 「新しいセグメントを作る」 until the count of
   everyone is on screen, and from ticking one district until the new count is on screen (median of
   ``--runs``; the editor waits 250 ms after a change before it asks, which is included).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp
from playwright.async_api import Page

import bot.demo
from bench.deliveries import PG_SERVER, SEGMENTS, _admin, populate
from civic.database import Database
from tests.browser import chromium
from tests.console.conftest import running_demo

REPO = Path(__file__).resolve().parents[1]


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


#: Installed in the page before an action: the time from the next click (or change) to ``text`` in the count.
WATCH = """(text) => {
  window.__took = new Promise((resolve) => {
    let start = null;
    const begin = () => { if (start === null) start = performance.now(); };
    document.addEventListener("click", begin, { capture: true, once: true });
    document.addEventListener("change", begin, { capture: true, once: true });
    const seen = () => (document.querySelector('[data-testid="segment-count"]')?.textContent || "").includes(text);
    const watch = new MutationObserver(() => {
      if (start !== null && seen()) { watch.disconnect(); resolve(performance.now() - start); }
    });
    watch.observe(document.body, { subtree: true, childList: true, characterData: true });
  });
}"""


async def timed(page: Page, text: str, action: Callable[[], Awaitable[None]]) -> float:
    await page.evaluate(WATCH, text)
    await action()
    return float(await page.evaluate("window.__took"))


async def run(citizens: int, calls: int, runs: int, backend: str) -> dict[str, object]:
    demo_settings = bot.demo.demo_settings
    database = f"madoguchi_bench_console_{os.getpid()}"
    if backend == "postgresql":
        await _admin(f'CREATE DATABASE "{database}"')
        bot.demo.demo_settings = lambda *a: dataclasses.replace(
            demo_settings(*a), database_url=f"{PG_SERVER}/{database}")
    try:
        return await _run(citizens, calls, runs)
    finally:
        bot.demo.demo_settings = demo_settings  # type: ignore[assignment]
        if backend == "postgresql":
            await _admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


async def _run(citizens: int, calls: int, runs: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="bench-segment-console-") as tmp:
        async with running_demo(Path(tmp)) as demo, chromium() as browser:
            settings = bot.demo.demo_settings("127.0.0.1", 0, "", Path(tmp), REPO / "content")
            db = Database(settings.database_url, settings.cipher())
            t0 = time.perf_counter()
            try:
                await populate(db, citizens)
            finally:
                await db.dispose()
            built = time.perf_counter() - t0
            print(f"{citizens:,} citizens added in {built:.1f} s", flush=True)
            token = await demo.token(demo.login, demo.password)
            api: dict[str, dict[str, float]] = {}
            async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {token}"}) as http:
                for name, data in {"全員": {"type": "all"}, **SEGMENTS}.items():
                    times, count = [], 0
                    for i in range(calls + 1):
                        start = time.perf_counter()
                        async with http.post(f"{demo.url}/admin/api/v1/segments/preview",
                                             json={"filter": data, "sample": 5}) as r:
                            body = await r.json()
                            assert r.status == 200, body
                        if i:
                            times.append((time.perf_counter() - start) * 1000)
                        count = body["count"]
                    api[name] = {"p50_ms": round(_pct(times, 50), 1), "p95_ms": round(_pct(times, 95), 1),
                                 "count": count}
                    print(f"  POST /segments/preview {name:<28} p50 {api[name]['p50_ms']:8.1f} ms, "
                          f"p95 {api[name]['p95_ms']:8.1f} ms   {count:>6,} citizens", flush=True)
            context = await browser.new_context(locale="ja-JP", viewport={"width": 1280, "height": 800})
            page = await context.new_page()
            await page.goto(f"{demo.url}/admin/")
            await page.locator('input[autocomplete="username"]').fill(demo.login)
            await page.locator('input[autocomplete="current-password"]').fill(demo.password)
            await page.get_by_role("button", name="ログイン").click()
            await page.locator("svg.chart").first.wait_for()
            everyone, district = [], []
            for _ in range(runs):
                await page.goto("about:blank")
                await page.goto(f"{demo.url}/admin/#/segments")
                try:
                    await page.get_by_role("button", name="新しいセグメントを作る").wait_for()
                except Exception:
                    await page.screenshot(path="/tmp/bench-segment-console.png")
                    raise
                everyone.append(await timed(page, f"{api['全員']['count']}人",
                                            page.get_by_role("button", name="新しいセグメントを作る").click))
                await page.get_by_role("button", name="条件を追加").click()
                await page.get_by_label("項目").select_option("area")
                await page.wait_for_timeout(600)  # a choice with nothing ticked is left out: everyone, settled
                district.append(await timed(page, f"{api['地区（1つ）']['count']}人",
                                            page.locator('.choices input[value="honmachi"]').check))
                await page.evaluate("sessionStorage.removeItem('madoguchi.console.segment-draft')")
            await context.close()
    return {"citizens": citizens, "populate_s": round(built, 1),
            "segments_preview_api": api,
            "console_count_everyone_ms": {"median": round(statistics.median(everyone)), "max": round(max(everyone))},
            "console_count_after_ticking_a_district_ms": {"median": round(statistics.median(district)),
                                                          "max": round(max(district))}}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench segment_console", description=__doc__.splitlines()[0])
    parser.add_argument("--citizens", type=int, default=50_000)
    parser.add_argument("--calls", type=int, default=20)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="sqlite")
    args = parser.parse_args(argv)
    for backend in ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]:
        print(f"[{backend}]", flush=True)
        result = asyncio.run(run(args.citizens, args.calls, args.runs, backend))
        for key, value in result.items():
            if key != "segments_preview_api":  # printed as measured
                print(f"  {key}: {value}")
    return 0
