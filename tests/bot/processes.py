"""Running the bot as real processes in tests (crash recovery, turn workers, several instances).

``start_bot`` starts ``python -m bot serve`` (its web process and turn worker(s)) against a
linesim; ``round_robin`` is the tiny load balancer the multi-instance tests put in front of
several instances; the rest waits for things without ever hanging a test run.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp
import sqlalchemy as sa
from aiohttp import web
from sqlalchemy.ext.asyncio import create_async_engine

from linesim.testing import LineSim
from tests.bot.helpers import KEY_HEX, REPO, SECRET, TOKEN


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def bot_env(db_url: str, sim_url: str, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "LINE_CHANNEL_SECRET": SECRET,
        "LINE_CHANNEL_ACCESS_TOKEN": TOKEN,
        "LINE_API_BASE_URL": sim_url,
        "DATABASE_URL": db_url,
        "DATA_ENCRYPTION_KEY": KEY_HEX,
        "CONTENT_DIR": str(REPO / "content"),
        "LOG_LEVEL": "WARNING",
        **extra,
    }


def start_bot(port: int, db_url: str, sim_url: str, log: Path, *, migrate: bool = False,
              **extra: str) -> subprocess.Popen:
    """``python -m bot serve`` in its own process group (``os.killpg`` kills the instance whole)."""
    command = [sys.executable, "-m", "bot", "serve", "--port", str(port)]
    if not migrate:
        command.append("--skip-migrate")
    return subprocess.Popen(command, cwd=REPO, env=bot_env(db_url, sim_url, **extra), stdout=log.open("ab"),
                            stderr=subprocess.STDOUT, start_new_session=True)


def stop_bot(proc: subprocess.Popen, timeout: float = 30) -> int:
    """SIGTERM, then SIGKILL of the whole group if it does not stop in ``timeout`` seconds."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    return proc.returncode


def children_of(pid: int) -> list[int]:
    return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def worker_of(proc: subprocess.Popen) -> int:
    children = children_of(proc.pid)
    assert len(children) == 1, children
    return children[0]


async def until(predicate: Callable[[], bool], within: float = 60, step: float = 0.01) -> None:
    async with asyncio.timeout(within):  # a guard against a hang
        while not predicate():
            await asyncio.sleep(step)


async def until_async(predicate: Callable[[], Awaitable[bool]], within: float = 60) -> None:
    async with asyncio.timeout(within):
        while not await predicate():
            await asyncio.sleep(0.2)


async def wait_healthy(port: int, proc: subprocess.Popen, within: float = 180) -> None:
    """Until ``/healthz`` answers (start-up trains the NLU: slow on a busy machine)."""
    async with aiohttp.ClientSession() as http, asyncio.timeout(within):
        while True:
            assert proc.poll() is None, "the bot exited during start-up"
            try:
                async with http.get(f"http://127.0.0.1:{port}/healthz") as r:
                    if r.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)


async def round_robin(ports: list[int]) -> tuple[web.AppRunner, int]:
    """A load balancer: each webhook to the next instance; an instance that does not answer is skipped."""
    turn = itertools.cycle(range(len(ports)))
    http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))

    async def forward(request: web.Request) -> web.Response:
        body = await request.read()
        headers = {k: v for k, v in request.headers.items() if k.lower() in ("content-type", "x-line-signature")}
        for _ in range(len(ports)):
            port = ports[next(turn)]
            try:
                async with http.post(f"http://127.0.0.1:{port}/callback", data=body, headers=headers,
                                     timeout=aiohttp.ClientTimeout(total=30)) as answer:
                    return web.Response(status=answer.status, body=await answer.read())
            except (aiohttp.ClientError, TimeoutError):
                continue
        return web.Response(status=502)

    async def close(_: web.Application) -> None:
        await http.close()

    app = web.Application()
    app.router.add_post("/callback", forward)
    app.on_cleanup.append(close)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner, port


def answers_by_request(sim: LineSim, user: str) -> list[str]:
    """The bot's API calls that reached the citizen, in order (one per answered event)."""
    seen: dict[str, None] = {}
    for entry in sim.channel.bot_messages(user):
        seen.setdefault(str(entry.request_id))
    return list(seen)


async def outcomes(url: str) -> dict[str, int]:
    """``inbox_outcome`` rows by status."""
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            rows = (await conn.execute(sa.text("SELECT status, count(*) FROM inbox_outcome GROUP BY status"))).all()
    finally:
        await engine.dispose()
    return {str(k): int(v) for k, v in rows}
