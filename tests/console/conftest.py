"""The console against the running demo (the service, linesim and the demo town), as staff meet it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from bot.demo import serve_demo
from bot.demo_seed import DEMO_ADMIN
from tests.bot.helpers import REPO
from tests.bot.test_demo import _free_pair


@dataclass
class Demo:
    url: str
    login: str
    password: str

    async def admin_call(self, method: str, path: str, body: object = None, *, token: str) -> tuple[int, dict]:
        async with aiohttp.ClientSession() as http, http.request(
                method, f"{self.url}/admin/api/v1{path}", json=body, headers={"Authorization": f"Bearer {token}"}) as r:
            return r.status, (await r.json() if r.content_type == "application/json" else {})

    async def add_staff(self, login: str, display_name: str, password: str, role: str) -> str:
        """A staff member with the built-in ``role`` (viewer, editor, …); the administrator's token."""
        admin = await self.token(self.login, self.password)
        status, roles = await self.admin_call("GET", "/roles", token=admin)
        role_id = next(r["id"] for r in roles if r["key"] == role)
        status, body = await self.admin_call("POST", "/staff", {"login": login, "display_name": display_name,
                                                                "password": password, "role_id": role_id}, token=admin)
        assert status == 201, body
        return admin

    async def token(self, login: str, password: str) -> str:
        async with aiohttp.ClientSession() as http, http.post(
                f"{self.url}/admin/api/v1/auth/login", json={"login": login, "password": password}) as r:
            assert r.status == 200, await r.text()
            return (await r.json())["token"]


@contextlib.asynccontextmanager
async def running_demo(directory: Path) -> AsyncIterator[Demo]:
    for attempt in range(3):  # a port found free can be taken by another process before the demo binds it
        port, home = _free_pair(), directory / f"demo{attempt}"  # a fresh home for each try
        home.mkdir()
        ready, stop = asyncio.Event(), asyncio.Event()
        # the demo's sample reports are left out: the casework tests count the reports they make
        task = asyncio.create_task(serve_demo("127.0.0.1", port, home, REPO / "content", ready, stop,
                                              sample_reports=False))
        waiting = asyncio.create_task(ready.wait())
        await asyncio.wait({task, waiting}, timeout=180, return_when=asyncio.FIRST_COMPLETED)  # a bound
        if ready.is_set():
            break
        waiting.cancel()
        error = task.exception() if task.done() else None
        if not isinstance(error, OSError) or attempt == 2:
            stop.set()
            if not task.done():
                task.cancel()
            raise error or TimeoutError("the demo did not start in 180 s")
    try:
        password = (home / "admin-password.txt").read_text(encoding="utf-8").strip()
        yield Demo(f"http://127.0.0.1:{port}", DEMO_ADMIN, password)
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)
