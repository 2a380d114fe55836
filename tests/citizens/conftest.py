from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.settings import default_inbox_url
from civic.crypto import FieldCipher
from civic.database import Database


@pytest.fixture
async def inbox(db: Database, cipher: FieldCipher) -> AsyncIterator[Database]:
    """The inbox store of ``db``: a file of its own on SQLite, the same database on PostgreSQL."""
    if not db.url.startswith("sqlite"):
        yield db
        return
    store = Database(default_inbox_url(db.url), cipher)
    yield store
    await store.dispose()
