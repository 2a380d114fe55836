"""Deliveries are sent by the turn worker, not by the web process that acknowledges webhooks
(issue #19: a city's delivery held the web process's event loop for seconds). Staff's "send now"
reaches the worker over its pipe (``W``); the run is claimed in the database by the worker."""

from __future__ import annotations

import asyncio
import socket
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from bot.appkeys import WAKE_DELIVERIES
from bot.inbox.worker_link import WorkerLink
from bot.migrate import upgrade_async
from bot.service import Role, create_app
from bot.worker import serve_worker
from linesim import ChannelConfig, SimConfig
from linesim.testing import LineSim, run_linesim
from tests.bot.helpers import SECRET, TOKEN, make_settings
from tests.bot.processes import free_port, stop_bot, until, until_async, wait_healthy, worker_of
from tests.bot.test_content_live_reload import api, staff_login, start


async def test_a_wake_line_on_the_pipe_wakes_the_workers_delivery_scheduler(sqlite_db) -> None:
    app = create_app(make_settings(sqlite_db.url), role=Role.WORKER)
    woken: list[int] = []
    app[WAKE_DELIVERIES] = lambda: woken.append(1)
    reader = asyncio.StreamReader()
    reader.feed_data(b"W\n")
    reader.feed_eof()

    class Out:
        def write(self, data: bytes) -> None: ...

        def flush(self) -> None: ...

    await serve_worker(app, reader=reader, out=Out())  # type: ignore[arg-type]
    assert woken == [1]


async def test_the_web_process_tells_its_worker_over_the_pipe(tmp_path: Path) -> None:
    heard = tmp_path / "heard"
    link = WorkerLink([sys.executable, "-c", f"import sys; open({str(heard)!r}, 'wb').write(sys.stdin.buffer.read())"],
                      announce=False)
    await link.start()
    link.wake_deliveries()
    await link.stop()  # closes the worker's input: it writes what it read and exits
    assert heard.read_bytes() == b"W\n"


@pytest.mark.slow
async def test_serve_sends_a_delivery_from_its_turn_worker(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    await upgrade_async(url)
    port = free_port()
    config = SimConfig(channels=[ChannelConfig("production", SECRET, TOKEN, f"http://127.0.0.1:{port}/callback")])
    proc = None
    engine = create_async_engine(url)
    try:
        async with run_linesim(config) as started:
            sim = LineSim(started.app, started.url, "production", strict=False)
            proc = start(port, url, sim.url, tmp_path / "bot.log")
            await wait_healthy(port, proc)
            auth = await staff_login(url, port)
            citizens = [sim.create_user(f"市民{i}") for i in range(3)]
            for citizen in citizens:
                await sim.follow(citizen)

            async def friends() -> bool:
                async with engine.connect() as conn:
                    return (await conn.execute(sa.text("SELECT count(*) FROM citizen WHERE is_friend"))).scalar() == 3

            await until_async(friends)
            await api("POST", port, "/deliveries", auth, json={
                "title": "断水のお知らせ", "messages": [{"type": "text", "text": "明日は断水します"}], "timing": "now"})
            await until(lambda: all(any("明日は断水します" in str(e.message) for e in sim.channel.bot_messages(c))
                                    for c in citizens), within=90)
            async with engine.connect() as conn:
                claimed_by = (await conn.execute(sa.text("SELECT claimed_by FROM delivery_run"))).scalar()
            assert claimed_by == f"{socket.gethostname()}:{worker_of(proc)}"[:64]  # not the web process
            assert claimed_by != f"{socket.gethostname()}:{proc.pid}"[:64]
        assert "Traceback" not in (tmp_path / "bot.log").read_text()
    finally:
        await engine.dispose()
        if proc is not None:
            stop_bot(proc)
