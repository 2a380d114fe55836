"""The bot wired to a real linesim: the service under test talks to it with line-bot-sdk's client."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest_asyncio
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.service import create_app
from bot.turn import TurnHandler
from civic.clock import Clock, FrozenClock
from linesim import ChannelConfig, SimConfig
from linesim.config import DEMO_PLACES
from linesim.testing import LineSim, line_sim_factory, run_linesim  # noqa: F401
from tests.bot.helpers import SECRET, TOKEN, make_settings


class SimClock:
    """Epoch seconds for linesim that a test can move (reply tokens expire)."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC).timestamp()

    def __call__(self) -> float:
        return self.now


@dataclass
class Service:
    """A running bot (the app under test) and the linesim it talks to."""

    app: web.Application
    server: TestServer
    sim: LineSim
    clock: Clock
    sim_clock: SimClock


@pytest_asyncio.fixture
async def start_service(tmp_path) -> AsyncIterator[Callable[..., Any]]:
    started: list[tuple[TestServer, Any]] = []

    async def start(database_url: str, *, handler: TurnHandler | None = None, clock: Clock | None = None,
                    **overrides: Any) -> Service:
        sim_clock = SimClock()
        config = SimConfig(channels=[ChannelConfig("production", SECRET, TOKEN)], places=DEMO_PLACES,
                           clock=sim_clock)
        ctx = run_linesim(config)
        sim = await ctx.__aenter__()
        settings = make_settings(database_url, sim.url, **overrides)
        clock = clock or FrozenClock(datetime.now(UTC))
        app = create_app(settings, clock=clock,
                         handler_factory=(lambda app: handler) if handler is not None else None)
        server = TestServer(app, host="127.0.0.1")
        await server.start_server()
        started.append((server, ctx))
        sim.set_webhook_url(str(server.make_url("/callback")))
        return Service(app, server, sim, clock, sim_clock)

    yield start
    for server, ctx in reversed(started):
        await server.close()
        await ctx.__aexit__(None, None, None)
