from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from bot.settings import default_inbox_url
from civic.crypto import FieldCipher
from civic.database import Database


@asynccontextmanager
async def open_inbox(db: Database, cipher: FieldCipher) -> AsyncIterator[Database]:
    """The inbox store of ``db``: a file of its own on SQLite, the same database on PostgreSQL."""
    if not db.url.startswith("sqlite"):
        yield db
        return
    store = Database(default_inbox_url(db.url), cipher)
    try:
        yield store
    finally:
        await store.dispose()


@pytest.fixture
async def inbox(db: Database, cipher: FieldCipher) -> AsyncIterator[Database]:
    async with open_inbox(db, cipher) as store:
        yield store
