"""The admin API served on a real port from a thread of its own (for clients that block: schemathesis)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import Future
from typing import Any

from aiohttp import web


class LiveServer:
    """Runs ``setup()`` (which returns an ``aiohttp`` app) on a private event loop in a thread."""

    def __init__(self, setup: Callable[[], Awaitable[web.Application]]) -> None:
        self._setup = setup
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._runner: web.AppRunner | None = None
        self.port = 0

    def run(self, coro: Awaitable[Any]) -> Any:
        """Run a coroutine on the server's loop and wait for its result."""
        future: Future = asyncio.run_coroutine_threadsafe(coro, self.loop)  # type: ignore[arg-type]
        return future.result(timeout=60)

    async def _start(self) -> None:
        app = await self._setup()
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    def start(self) -> LiveServer:
        self._thread.start()
        self.run(self._start())
        return self

    def stop(self, *cleanups: Callable[[], Awaitable[Any]]) -> None:
        for cleanup in cleanups:
            self.run(cleanup())
        if self._runner is not None:
            self.run(self._runner.cleanup())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=10)
        self.loop.close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"
