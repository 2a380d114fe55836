"""Several ``python -m bot serve`` instances on one PostgreSQL (``INSTANCE_MODE=shared``, issue #19).

Real processes (each instance: its web process and its turn worker) behind a tiny round-robin
proxy in the test; linesim in-process. Citizens' messages are sprayed across the instances; every
citizen's answers must reach LINE exactly once and, without a crash, in the order they were sent.
With one instance SIGKILLed mid-load, the others take its partitions over (``bot.inbox.shared``):
still every message answered, exactly once.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import subprocess
import sys
import uuid
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import sqlalchemy as sa
from aiohttp import web
from sqlalchemy.ext.asyncio import create_async_engine

from bot.inbox.shared import MEMBER_LOCKS, PARTITION_LOCKS, PARTITIONS
from bot.migrate import upgrade_async
from bot.settings import Settings, SettingsError
from linesim import ChannelConfig, SimConfig
from linesim.testing import LineSim, run_linesim
from tests.bot.helpers import KEY_HEX, REPO, SECRET, TOKEN
from tests.bot.test_crash_recovery import _free_port, _until
from tests.conftest import PG_SERVER, _admin

CITIZENS = 20
MESSAGES = 10


def _start(port: int, db_url: str, sim_url: str, log: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "LINE_CHANNEL_SECRET": SECRET,
        "LINE_CHANNEL_ACCESS_TOKEN": TOKEN,
        "LINE_API_BASE_URL": sim_url,
        "DATABASE_URL": db_url,
        "DATA_ENCRYPTION_KEY": KEY_HEX,
        "CONTENT_DIR": str(REPO / "content"),
        "LOG_LEVEL": "WARNING",
        "INSTANCE_MODE": "shared",
        "NLU_ENCODER": "none",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "serve", "--port", str(port), "--skip-migrate"],
        cwd=REPO, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True,
    )


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


async def _round_robin(ports: list[int]) -> tuple[web.AppRunner, int]:
    """A load balancer: each webhook to the next instance; an instance that does not answer is skipped."""
    turn = itertools.cycle(range(len(ports)))
    http = aiohttp.ClientSession()

    async def forward(request: web.Request) -> web.Response:
        body = await request.read()
        headers = {k: v for k, v in request.headers.items() if k.lower() in ("content-type", "x-line-signature")}
        for _ in range(len(ports)):
            port = ports[next(turn)]
            try:
                async with http.post(f"http://127.0.0.1:{port}/callback", data=body, headers=headers,
                                     timeout=aiohttp.ClientTimeout(total=5)) as answer:
                    return web.Response(status=answer.status, body=await answer.read())
            except (aiohttp.ClientError, TimeoutError):
                continue
        return web.Response(status=502)

    app = web.Application()
    app.router.add_post("/callback", forward)
    app.on_cleanup.append(lambda _: http.close())
    runner = web.AppRunner(app)
    await runner.setup()
    port = _free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner, port


@pytest.fixture
async def pg_url() -> Any:
    name = f"madoguchi_scaleout_{uuid.uuid4().hex[:8]}"
    await _admin(f'CREATE DATABASE "{name}"')
    url = f"{PG_SERVER}/{name}"
    try:
        await upgrade_async(url)
        yield url
    finally:
        await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _wait_healthy(port: int, proc: subprocess.Popen) -> None:
    """Until ``/healthz`` answers (start-up trains the NLU: slow on a busy machine)."""
    async with aiohttp.ClientSession() as http, asyncio.timeout(180):
        while True:
            assert proc.poll() is None, "the bot exited during start-up"
            try:
                async with http.get(f"http://127.0.0.1:{port}/healthz") as r:
                    if r.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.2)


def _answers_by_request(sim: LineSim, user: str) -> list[str]:
    """The bot's API calls that reached the citizen, in order (one per answered event)."""
    seen: list[str] = []
    for entry in sim.channel.bot_messages(user):
        if entry.request_id not in seen:
            seen.append(str(entry.request_id))
    return seen


async def _outcomes(url: str) -> dict[str, int]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            rows = (await conn.execute(sa.text("SELECT status, count(*) FROM inbox_outcome GROUP BY status"))).all()
    finally:
        await engine.dispose()
    return {str(k): int(v) for k, v in rows}


@pytest.mark.slow
@pytest.mark.parametrize("kill", [False, True], ids=["steady", "sigkill-one"])
async def test_citizens_sprayed_across_instances_are_answered_once_in_order(
        tmp_path: Path, pg_url: str, kill: bool) -> None:
    ports = [_free_port(), _free_port()]
    runner, proxy = await _round_robin(ports)
    config = SimConfig(channels=[ChannelConfig("production", SECRET, TOKEN, f"http://127.0.0.1:{proxy}/callback")])
    procs: list[subprocess.Popen] = []
    try:
        async with run_linesim(config) as started:
            sim = LineSim(started.app, started.url, "production", strict=False)
            users = [sim.create_user(f"市民{i}") for i in range(CITIZENS)]
            # Which reply token each answer spent, per citizen, in the order LINE took them.
            spent: dict[str, list[str]] = defaultdict(list)
            use = sim.channel.use_reply_token

            def recording(token: str, ttl: float) -> Any:
                entry = use(token, ttl)
                if entry is not None and entry.user_id is not None:
                    spent[entry.user_id].append(token)
                return entry

            sim.channel.use_reply_token = recording  # type: ignore[method-assign]
            logs = [tmp_path / f"bot{i}.log" for i in range(len(ports))]
            for port, log in zip(ports, logs, strict=True):
                # One after the other: the first start installs the town's content.
                procs.append(_start(port, pg_url, sim.url, log))
                await _wait_healthy(port, procs[-1])
            # Both workers have joined and split the partitions between them.
            await _until_async(lambda: _split(pg_url, workers=2))
            tokens: dict[str, list[str]] = defaultdict(list)
            sent = Counter[str]()

            async def citizen(user: str) -> None:
                for i in range(MESSAGES):
                    event = await sim.send_text(user, f"{i + 1}番目のメッセージです")
                    tokens[user].append(event["replyToken"])
                    sent[user] += 1

            async def killer() -> None:
                await _until(lambda: sum(sent.values()) >= CITIZENS * MESSAGES // 3)
                os.killpg(procs[0].pid, signal.SIGKILL)  # the instance: web process and turn worker
                await asyncio.to_thread(procs[0].wait)

            await asyncio.gather(*(citizen(u) for u in users), *([killer()] if kill else []))
            failed = {e for d in sim.deliveries if not d.ok for e in d.event_ids}
            acked = {e for d in sim.deliveries if d.ok for e in d.event_ids}
            if not kill:
                assert failed == set()
            for event_id in sorted(failed - acked):  # as LINE does: redelivered
                await sim.redeliver(event_id)
            await _until_long(lambda: all(len(_answers_by_request(sim, u)) >= MESSAGES for u in users))
            expected = MESSAGES
            if kill:
                # The killed instance comes back: the partitions are shared out again, and both answer.
                procs[0] = _start(ports[0], pg_url, sim.url, logs[0])
                await _wait_healthy(ports[0], procs[0])
                await _until_async(lambda: _split(pg_url, workers=2))
                await asyncio.gather(*(sim.send_text(u, "もう一度です") for u in users))
                expected = MESSAGES + 1
                await _until_long(lambda: all(len(_answers_by_request(sim, u)) >= expected for u in users))
            for proc in procs:
                _stop(proc)
            answered = {u: len(_answers_by_request(sim, u)) for u in users}
            assert answered == dict.fromkeys(users, expected), [log.read_text()[-2000:] for log in logs]
            assert await _outcomes(pg_url) == {"done": CITIZENS * expected}
            if not kill:
                # Every answer was the reply to its own event, in the order the citizen wrote.
                assert dict(spent) == dict(tokens)
            else:
                assert "Traceback" not in logs[1].read_text()
    finally:
        for proc in procs:
            _stop(proc)
        await runner.cleanup()


async def _split(url: str, *, workers: int) -> bool:
    """Whether ``workers`` workers have joined and each holds its share of the partitions."""
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            rows = (await conn.execute(sa.text(
                "SELECT classid, pid, count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                "AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) GROUP BY classid, pid"
            ))).all()
    finally:
        await engine.dispose()
    members = [n for kind, _, n in rows if kind == MEMBER_LOCKS]
    partitions = sorted(n for kind, _, n in rows if kind == PARTITION_LOCKS)
    return len(members) == workers and partitions == [PARTITIONS // workers] * workers


async def _until_async(predicate: Any) -> None:
    async with asyncio.timeout(60):
        while not await predicate():
            await asyncio.sleep(0.2)


async def _until_long(predicate: Any) -> None:
    async with asyncio.timeout(120):
        while not predicate():
            await asyncio.sleep(0.05)


def test_shared_mode_needs_postgresql() -> None:
    env = {"LINE_CHANNEL_SECRET": SECRET, "LINE_CHANNEL_ACCESS_TOKEN": TOKEN, "DATA_ENCRYPTION_KEY": KEY_HEX,
           "CONTENT_DIR": str(REPO / "content"), "INSTANCE_MODE": "shared",
           "DATABASE_URL": "sqlite+aiosqlite:///var/x.db"}
    with pytest.raises(SettingsError, match="PostgreSQL"):
        Settings.from_env(env)
    pg = {**env, "DATABASE_URL": "postgresql+asyncpg://u@h/db"}
    assert Settings.from_env(pg).instance_mode == "shared"
    with pytest.raises(SettingsError, match="INBOX_DATABASE_URL"):
        Settings.from_env({**pg, "INBOX_DATABASE_URL": "postgresql+asyncpg://u@h/other"})
    assert Settings.from_env({**env, "INSTANCE_MODE": ""}).instance_mode == "single"
