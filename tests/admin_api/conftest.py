from __future__ import annotations

from collections.abc import AsyncIterator

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
