from __future__ import annotations

import pytest

from civic.database import Database
from tests.admin_api.support import AdminEnv, build_env


@pytest.fixture
async def env(sqlite_db: Database) -> AdminEnv:
    return await build_env(sqlite_db)


@pytest.fixture
async def client(env: AdminEnv, aiohttp_client):
    return await aiohttp_client(env.app)
