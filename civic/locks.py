"""Named locks that hold across every process on one database (several instances on PostgreSQL).

On PostgreSQL a name becomes an advisory lock (``pg_advisory_lock(LOCKS, crc32(name))``): held by a
connection, released when it is unlocked, when its transaction ends (``in_transaction``) or when the
holder dies (the server closes its connection). On SQLite — one instance by design — ``held`` is an
in-process lock and ``in_transaction`` does nothing: SQLite's write transactions (``BEGIN
IMMEDIATE``) already run one at a time.
"""

from __future__ import annotations

import asyncio
import contextlib
import zlib
from collections.abc import AsyncIterator

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from civic.database import Database

#: The first key of these advisory locks (the inbox's partitions use 19001 and 19002).
LOCKS = 19_003

_local: dict[str, asyncio.Lock] = {}


def lock_key(name: str) -> int:
    """The second key of ``name``'s advisory lock (a signed 32-bit int, the same in every process)."""
    return zlib.crc32(name.encode()) - (1 << 31)


@contextlib.asynccontextmanager
async def held(db: Database, name: str) -> AsyncIterator[None]:
    """Hold ``name`` for the body, across processes; waits while another holder has it."""
    if db.is_sqlite:
        async with _local.setdefault(name, asyncio.Lock()):
            yield
        return
    async with db.engine.connect() as conn:
        await conn.execute(sa.text("SELECT pg_advisory_lock(:a, :b)"), {"a": LOCKS, "b": lock_key(name)})
        await conn.commit()  # the lock is the session's; no transaction is kept open meanwhile
        try:
            yield
        finally:
            await conn.execute(sa.text("SELECT pg_advisory_unlock(:a, :b)"), {"a": LOCKS, "b": lock_key(name)})
            await conn.commit()


async def in_transaction(session: AsyncSession, name: str) -> None:
    """Hold ``name`` until the session's transaction ends (PostgreSQL); the statements after it see
    what the previous holder committed."""
    conn = await session.connection()
    if conn.dialect.name == "postgresql":
        await conn.execute(sa.text("SELECT pg_advisory_xact_lock(:a, :b)"), {"a": LOCKS, "b": lock_key(name)})
