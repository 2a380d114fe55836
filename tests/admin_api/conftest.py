from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest

from civic.database import Database
from tests.admin_api.support import AdminEnv, build_env


@pytest.fixture
async def env(sqlite_db: Database) -> AsyncIterator[AdminEnv]:
    environment = await build_env(sqlite_db)
    try:
        yield environment
    finally:
        await environment.close()


@pytest.fixture
async def client(env: AdminEnv, aiohttp_client):
    return await aiohttp_client(env.app)


@pytest.fixture(scope="module")
def knowledge():
    from bot.dialogue_wiring import build_knowledge
    from tests.bot.helpers import make_settings

    return build_knowledge(make_settings("sqlite+aiosqlite://"))


@dataclass
class Service:
    app: Any
    client: Any
    town: Any


@pytest.fixture
async def service(aiohttp_client, sqlite_db: Database, knowledge, monkeypatch) -> Service:
    """The whole service as ``serve`` builds it (every router, the real roles, SudachiPy), on the booking
    tests' town, with cheap password hashing."""
    from argon2 import PasswordHasher

    from bot.service import build_service
    from civic.staff import passwords
    from tests.booking.town import build_town
    from tests.bot.helpers import make_settings

    monkeypatch.setattr(passwords, "PasswordHasher", lambda: PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
    town = await build_town(sqlite_db)
    app = build_service(make_settings(sqlite_db.url), knowledge=knowledge, clock=town.clock)
    return Service(app, await aiohttp_client(app), town)
