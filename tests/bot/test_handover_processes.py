"""有人チャット (issue #17) on the real processes (``python -m bot serve``: the web process and its
turn worker) against an in-process linesim:

* a citizen's message in an open hand-over is recorded by the *turn worker*; the staff member's
  live view (server-sent events) is served by the *web process*, and still sees it (the feed reads
  the database, not a process's memory);
* the turn worker is stopped mid-hand-over while the citizen keeps writing and staff reply, then
  killed (SIGKILL); the web process starts a new worker which resumes from the inbox. No citizen
  message is lost or recorded twice, the bot answers none of them, the staff reply reaches the
  citizen exactly once.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.migrate import upgrade_async
from civic.clock import SystemClock
from civic.crypto import FieldCipher
from civic.database import Database
from civic.staff.passwords import Passwords
from civic.staff.services import create_staff
from linesim import ChannelConfig, SimConfig
from linesim.testing import LineSim, run_linesim
from tests.bot.helpers import KEY_HEX, SECRET, TOKEN
from tests.bot.processes import free_port, start_bot, until, worker_of
from tests.bot.test_crash_recovery import _stopped

API = "/admin/api/v1"
LATER = [f"{n}通目：住民票の写しについてです" for n in range(2, 7)]


async def _wait_healthy(base: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    async with aiohttp.ClientSession() as http:
        for _ in range(1200):  # a slow start on a busy machine
            assert proc.poll() is None, f"the bot exited during start-up (see {log})"
            with contextlib.suppress(aiohttp.ClientError):
                async with http.get(f"{base}/healthz") as r:
                    if r.status == 200:
                        return
            await asyncio.sleep(0.1)
    raise AssertionError("the bot did not become healthy")


async def _stream(http: aiohttp.ClientSession, url: str, events: list[tuple[str, dict[str, Any]]]) -> None:
    async with http.get(url) as r:
        assert r.status == 200, await r.text()
        kind = ""
        async for raw in r.content:
            line = raw.decode().rstrip("\n")
            if line.startswith("event: "):
                kind = line[7:]
            elif line.startswith("data: "):
                events.append((kind, json.loads(line[6:])))


@pytest.mark.slow
async def test_worker_crash_mid_hand_over_loses_no_message_and_sends_none_twice(tmp_path: Path) -> None:
    db_url = f"sqlite+aiosqlite:///{tmp_path / 'handover.db'}"
    await upgrade_async(db_url)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    config = SimConfig(channels=[ChannelConfig("production", SECRET, TOKEN, f"{base}/callback")])
    async with run_linesim(config) as started, aiohttp.ClientSession() as http:
        sim = LineSim(started.app, started.url, "production", strict=False)
        user = sim.create_user("有人 花子")
        log = tmp_path / "bot.log"
        proc = start_bot(port, db_url, sim.url, log)
        events: list[tuple[str, dict[str, Any]]] = []
        stream: asyncio.Task[None] | None = None
        try:
            await _wait_healthy(base, proc, log)
            db = Database(db_url, FieldCipher(bytes.fromhex(KEY_HEX)))
            try:
                await create_staff(db, SystemClock(), "madoguchi", "staff-pass-2026", "窓口 一郎", "counter",
                                   passwords=Passwords.for_tests())
            finally:
                await db.dispose()
            async with http.post(f"{base}{API}/auth/login", json={"login": "madoguchi", "password": "staff-pass-2026"}) as r:
                auth = {"Authorization": f"Bearer {(await r.json())['token']}"}

            async def api(method: str, path: str, body: Any = None) -> Any:
                async with http.request(method, f"{base}{API}{path}", json=body, headers=auth) as r:
                    assert r.status < 300, (path, r.status, await r.text())
                    return await r.json()

            await sim.send_text(user, "職員と話したい")
            await until(lambda: len(sim.messages(user)) == 1)
            [item] = await api("GET", "/handovers?status=open")
            hid = item["id"]
            ticket = await api("POST", "/handovers/stream-ticket")
            stream = asyncio.create_task(_stream(http, f"{base}{ticket['url']}", events))
            await until(lambda: any(k == "ready" for k, _ in events))

            await sim.send_text(user, "1通目：転入の手続きについてです")  # the worker records it
            await until(lambda: any(k == "message" and d["handover"] == hid for k, d in events))
            seen_live = [d["last"] for k, d in events if k == "message"]

            worker = worker_of(proc)
            os.kill(worker, signal.SIGSTOP)  # mid-hand-over: the worker stands still
            await until(lambda: _stopped(worker))
            for text in LATER:
                await sim.send_text(user, text)  # accepted by the web process, durable in the inbox
            reply = await api("POST", f"/handovers/{hid}/messages", {"text": "窓口です。ご用件を承ります。"})
            os.kill(worker, signal.SIGKILL)  # the web process starts a new worker, which resumes
            await until(lambda: any(k == "message" and d["last"] > reply["id"] for k, d in events))

            async def recorded() -> list[str]:
                rows = await api("GET", f"/handovers/{hid}/messages")
                return [m["text"] for m in rows if m["author"] == "citizen"]

            for _ in range(600):
                if len(await recorded()) >= 1 + len(LATER):
                    break
                await asyncio.sleep(0.05)
            await api("POST", f"/handovers/{hid}/close")
            await until(lambda: len(sim.messages(user)) >= 3)
            await asyncio.sleep(1.0)  # anything sent twice would have arrived by now
            assert await recorded() == ["1通目：転入の手続きについてです", *LATER]  # each once, in order
            texts = [m.get("text", "") for m in sim.messages(user)]
            assert len(texts) == 3 and ("職員におつなぎします" in texts[0] or "対応時間外" in texts[0]), texts
            assert texts[1] == "【職員より】\n窓口です。ご用件を承ります。"  # once: no bot answer in between
            assert "職員とのやりとりを終了しました" in texts[2]
            assert seen_live and "the turn worker exited" in await asyncio.to_thread(log.read_text)
        finally:
            if stream is not None:
                stream.cancel()
                with contextlib.suppress(asyncio.CancelledError, aiohttp.ClientError):
                    await stream
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(30)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
