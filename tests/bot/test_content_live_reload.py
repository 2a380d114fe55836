"""The FAQ and the garbage dictionary edited live in the running service (issue #16), with real
processes: ``python -m bot serve`` (its web process and its turn worker), linesim in-process.

Staff change content through the staff API of the web process; the answer a citizen gets at LINE
comes from the turn worker — a different process, which learns of the change from the content
version in the database. No restart, and every message is answered. On PostgreSQL, two instances
(``INSTANCE_MODE=shared``) both answer with the new FAQ.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.migrate import upgrade_async
from civic.clock import SystemClock
from civic.crypto import parse_key
from civic.database import Database
from linesim import ChannelConfig, SimConfig
from linesim.testing import LineSim, run_linesim
from tests.admin_api.test_content_api import OTHER_TOWN_TARGET, multipart
from tests.bot.helpers import KEY_HEX, REPO, SECRET, TOKEN
from tests.bot.processes import bot_env, free_port, round_robin, stop_bot, wait_healthy
from tests.conftest import PG_SERVER, _admin

PASSWORD = "staff-pass-2026"
QUESTION = "ドローンを飛ばしてもいいですか"
ANSWER = "ドローンの飛行は建設課（0000-00-1181）にご相談ください。"


def start(port: int, db_url: str, sim_url: str, log: Path, *, shared: bool = False) -> subprocess.Popen:
    env = bot_env(db_url, sim_url, NLU_ENCODER="none", **({"INSTANCE_MODE": "shared"} if shared else {}))
    return subprocess.Popen([sys.executable, "-m", "bot", "serve", "--port", str(port), "--skip-migrate"],
                            cwd=REPO, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True)


@pytest.fixture
async def pg_url() -> Any:
    """A migrated PostgreSQL database of its own."""
    name = f"madoguchi_reload_{uuid.uuid4().hex[:8]}"
    await _admin(f'CREATE DATABASE "{name}"')
    url = f"{PG_SERVER}/{name}"
    try:
        await upgrade_async(url)
        yield url
    finally:
        await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def staff_login(db_url: str, port: int) -> dict[str, str]:
    from civic.staff.services import create_staff

    db = Database(db_url, _cipher())
    try:
        await create_staff(db, SystemClock(), "kanri", PASSWORD, "管理", "admin")
    finally:
        await db.dispose()
    async with aiohttp.ClientSession() as http, http.post(
            f"http://127.0.0.1:{port}/admin/api/v1/auth/login", json={"login": "kanri", "password": PASSWORD}) as r:
        return {"Authorization": f"Bearer {(await r.json())['token']}"}


def _cipher() -> Any:
    from civic.crypto import FieldCipher

    return FieldCipher(parse_key(KEY_HEX))


def said(sim: LineSim, user: str) -> list[str]:
    return [json.dumps(e.message, ensure_ascii=False) for e in sim.channel.bot_messages(user)]


async def ask_until(sim: LineSim, user: str, text: str, wanted: Callable[[str], bool], *,
                    guard: float = 60.0) -> tuple[float, int]:
    """Ask ``text`` again every ~0.5 s until an answer satisfies ``wanted``; (seconds it took, questions
    asked). Each question must be answered (no message dropped during the re-index)."""
    t0 = time.monotonic()
    asked = 0
    while True:
        before = len(sim.channel.bot_messages(user))
        await sim.send_text(user, text)
        asked += 1
        async with asyncio.timeout(30):  # every question is answered, re-index or not
            while len(sim.channel.bot_messages(user)) == before:
                await asyncio.sleep(0.05)
        await asyncio.sleep(0.2)  # the whole answer (several bubbles)
        if any(wanted(m) for m in said(sim, user)[before:]):
            return time.monotonic() - t0, asked
        assert time.monotonic() - t0 < guard, said(sim, user)[-3:]
        await asyncio.sleep(0.3)


async def api(method: str, port: int, path: str, auth: dict[str, str], **kw: Any) -> Any:
    async with aiohttp.ClientSession() as http, http.request(
            method, f"http://127.0.0.1:{port}/admin/api/v1{path}", headers={**auth, **kw.pop("headers", {})},
            **kw) as r:
        assert r.status < 300, (path, r.status, await r.text())
        return await r.json() if r.content_type == "application/json" else None


@pytest.mark.slow
async def test_a_published_faq_and_an_imported_5374_dictionary_are_answered_by_the_turn_worker(
        tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    await upgrade_async(url)
    port = free_port()
    log = tmp_path / "bot.log"
    config = SimConfig(channels=[ChannelConfig("production", SECRET, TOKEN, f"http://127.0.0.1:{port}/callback")])
    proc = None
    try:
        async with run_linesim(config) as started:
            sim = LineSim(started.app, started.url, "production", strict=False)
            proc = start(port, url, sim.url, log)
            await wait_healthy(port, proc)
            auth = await staff_login(url, port)
            citizen = sim.create_user("市民")
            await sim.follow(citizen)
            entry = await api("POST", port, "/faq/entries", auth, json={
                "question": QUESTION, "alternatives": ["ドローンの飛行"], "answer": ANSWER, "category": "くらし",
                "status": "published"})
            seconds, asked = await ask_until(sim, citizen, QUESTION, lambda m: "建設課（0000-00-1181）" in m)
            tried = await api("GET", port, "/faq/try", auth, params={"q": QUESTION})  # the web process's index
            assert tried["hits"][0]["entry_id"] == entry["id"]
            await api("PATCH", port, f"/faq/entries/{entry['id']}", auth, json={"answer": "ドローンは禁止です（改定）。"})
            changed, asked_again = await ask_until(sim, citizen, QUESTION, lambda m: "禁止です（改定）" in m)
            print(f"published → answered by the worker: {seconds:.1f} s ({asked} asked); "
                  f"edited → answered: {changed:.1f} s ({asked_again} asked)")

            # another town's 5374 target.csv, Shift_JIS: the chat answers an item of it
            body, ctype = multipart({"target": OTHER_TOWN_TARGET.encode("cp932"), "mode": "replace"})
            report = await api("POST", port, "/garbage/import", auth, data=body, headers={"Content-Type": ctype})
            assert report["items_total"] == 4
            await ask_until(sim, citizen, "ぬいぐるみは何ごみですか", lambda m: "もえるごみ" in m)
        assert "Traceback" not in log.read_text()
    finally:
        if proc is not None:
            stop_bot(proc)


@pytest.mark.slow
async def test_two_instances_on_one_postgresql_both_answer_the_new_faq(tmp_path: Path, pg_url: str) -> None:
    ports = [free_port(), free_port()]
    runner, proxy = await round_robin(ports)
    config = SimConfig(channels=[ChannelConfig("production", SECRET, TOKEN, f"http://127.0.0.1:{proxy}/callback")])
    procs: list[subprocess.Popen] = []
    logs = [tmp_path / f"bot{i}.log" for i in range(len(ports))]
    try:
        async with run_linesim(config) as started:
            sim = LineSim(started.app, started.url, "production", strict=False)
            for port, log in zip(ports, logs, strict=True):
                procs.append(start(port, pg_url, sim.url, log, shared=True))
                await wait_healthy(port, procs[-1])
            auth = await staff_login(pg_url, ports[0])
            # staff publish on the first instance's console
            await api("POST", ports[0], "/faq/entries", auth, json={
                "question": QUESTION, "answer": ANSWER, "status": "published"})
            # both web processes answer from it ...
            for port in ports:
                async with asyncio.timeout(30):
                    while (await api("GET", port, "/faq/try", auth, params={"q": QUESTION}))["hits"][0][
                            "question"] != QUESTION:
                        await asyncio.sleep(0.2)
            # ... and so do both turn workers (citizens spread over both instances' partitions)
            citizens = [sim.create_user(f"市民{i}") for i in range(6)]
            for c in citizens:
                await ask_until(sim, c, QUESTION, lambda m: "建設課（0000-00-1181）" in m)
        for log in logs:
            assert "Traceback" not in log.read_text()
    finally:
        for proc in procs:
            stop_bot(proc)
        await runner.cleanup()
