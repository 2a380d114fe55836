"""``python -m bench handover``: 有人チャット (issue #17) latencies against the running demo, a staff
member's console open in headless Chromium:

* citizen message → on the open console screen: from the simulator accepting the citizen's message
  to the text being visible in the conversation (webhook → inbox → turn → ``handover_message`` →
  the feed → server-sent event → ``GET /handovers/{id}/messages?after=`` → the page);
* staff reply → linesim: from ``POST /handovers/{id}/messages`` to the push in the simulator's
  timeline (outbox → LINE gateway → linesim).

With ``--feed URL`` (a PostgreSQL server, e.g. ``postgresql+asyncpg://postgres@127.0.0.1:5432``) it
also measures the step between instances: one instance records a citizen's message and commits, a
second instance's live feed (``civic.handover.feed``: LISTEN/NOTIFY) tells its subscriber; and the
same between two engines on one SQLite file (no NOTIFY: the feed looks every 0.25 s).

Prints p50 / p95 / max in milliseconds (nearest rank).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import tempfile
import time
from pathlib import Path

import aiohttp

from tests.browser import chromium
from tests.console.conftest import running_demo
from tests.console.test_console import console_page, sign_in
from tests.console.test_handovers import _bot_texts, _citizen, _say


def _summary(seconds: list[float]) -> dict[str, float]:
    ms = sorted(s * 1000 for s in seconds)

    def rank(q: float) -> float:
        return round(ms[max(0, math.ceil(q * len(ms)) - 1)])

    return {"n": len(ms), "p50": rank(0.5), "p95": rank(0.95), "max": round(ms[-1])}


async def run(messages: int, replies: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        async with running_demo(Path(tmp)) as demo, chromium() as browser:
            user = await _citizen(demo, "ベンチ 太郎")
            await _say(demo, user, "職員と話したい")
            token = await demo.token(demo.login, demo.password)
            async with console_page(browser, 1280, 800) as page:
                await sign_in(page, demo, demo.login, demo.password)
                await page.get_by_role("link", name="有人チャット").click()
                await page.locator("[data-handover]").first.click()
                await page.locator(".handover-log").wait_for(state="attached")
                await page.locator("[data-live=on]").wait_for(state="attached")
                hid = int(await page.locator(".handover-pane").get_attribute("data-handover") or 0)
                to_screen: list[float] = []
                for n in range(messages):
                    text = f"ベンチのメッセージ {n + 1}"
                    started = time.perf_counter()
                    await _say(demo, user, text)
                    await page.locator(".handover-log").get_by_text(text, exact=True).wait_for()
                    to_screen.append(time.perf_counter() - started)
            to_sim: list[float] = []
            async with aiohttp.ClientSession() as http:
                for n in range(replies):
                    text = f"職員からの返信 {n + 1}"
                    started = time.perf_counter()
                    async with http.post(f"{demo.url}/admin/api/v1/handovers/{hid}/messages", json={"text": text},
                                         headers={"Authorization": f"Bearer {token}"}) as r:
                        assert r.status == 201, await r.text()
                    for _ in range(20_000):
                        if f"【職員より】\n{text}" in await _bot_texts(demo, user):
                            break
                        await asyncio.sleep(0.005)
                    to_sim.append(time.perf_counter() - started)
    return {"citizen_message_to_console_ms": _summary(to_screen), "staff_reply_to_linesim_ms": _summary(to_sim),
            "store": "SQLite (the demo: one process)", "live": "server-sent events"}


async def feed_between_instances(url: str, writes: int) -> dict[str, float]:
    """Commit on one engine → a subscriber of the other engine's feed hears of it."""
    from civic.clock import SystemClock
    from civic.crypto import FieldCipher
    from civic.database import Database
    from civic.handover import services as handovers
    from civic.handover.feed import HandoverFeed

    cipher, clock = FieldCipher(bytes(range(32))), SystemClock()
    writer, reader = Database(url, cipher), Database(url, cipher)
    feed = HandoverFeed(reader)
    took: list[float] = []
    try:
        async with writer.write() as s:
            row, _ = await handovers.request(s, "U" + "b" * 32, channel="production", now=clock.now())
        async with feed.subscribe() as changes:
            for _ in range(1000):  # the LISTEN connection is up (PostgreSQL)
                if reader.is_sqlite or feed.listening:
                    break
                await asyncio.sleep(0.01)
            for n in range(writes):
                started = time.perf_counter()
                async with writer.write() as s:
                    await handovers.record_citizen(s, row, kind="text", text=f"計測 {n}", now=clock.now())
                while (await changes.get()).kind != "message":
                    pass
                took.append(time.perf_counter() - started)
                while not changes.empty():
                    changes.get_nowait()
    finally:
        await feed.close()
        await writer.dispose()
        await reader.dispose()
    return _summary(took)


async def feeds(server: str, writes: int) -> dict[str, object]:
    import uuid

    import sqlalchemy as sa
    from sqlalchemy.ext.asyncio import create_async_engine

    from bot.migrate import upgrade_async

    out: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as tmp:
        sqlite = f"sqlite+aiosqlite:///{tmp}/bench.db"
        await upgrade_async(sqlite)
        out["sqlite_two_engines_ms"] = await feed_between_instances(sqlite, writes)
    name = f"madoguchi_bench_{uuid.uuid4().hex[:8]}"
    admin = create_async_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        await upgrade_async(f"{server}/{name}")
        out["postgresql_two_instances_ms"] = await feed_between_instances(f"{server}/{name}", writes)
    finally:
        async with admin.connect() as conn:
            await conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()
    return out


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench handover")
    parser.add_argument("--messages", type=int, default=20)
    parser.add_argument("--replies", type=int, default=20)
    parser.add_argument("--feed", metavar="POSTGRES_SERVER_URL", help="also time the step between instances")
    args = parser.parse_args(argv)
    if args.feed:
        print(json.dumps(asyncio.run(feeds(args.feed, args.messages)), ensure_ascii=False, indent=2))
    print(json.dumps(asyncio.run(run(args.messages, args.replies)), ensure_ascii=False, indent=2))
    return 0
