"""A sliding one-minute window per key (a client address, a web chat session), in memory.

Per process: each instance of the service counts on its own. With several instances
(``INSTANCE_MODE=shared``) the public endpoints use ``SharedRateLimit``, counted in the database,
so a client cannot multiply its allowance by the number of instances behind the load balancer.
"""

from __future__ import annotations

import hashlib
import random
from collections import defaultdict, deque

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Field, SQLModel

from civic.database import Database
from civic.rows import table_of


class RateLimit:
    def __init__(self, per_minute: int, *, window: float = 60.0, max_keys: int = 10_000) -> None:
        self.per_minute, self.window, self.max_keys = per_minute, window, max_keys
        self._hits: dict[str, deque[float]] = defaultdict(deque)

    def allow(self, key: str, now: float) -> bool:
        """Count one request of ``key`` at ``now`` (seconds, any monotonic origin) unless over the limit."""
        hits = self._hits[key]
        while hits and now - hits[0] > self.window:
            hits.popleft()
        if len(hits) >= self.per_minute:
            return False
        hits.append(now)
        if len(self._hits) > self.max_keys:  # forget idle keys
            for k in [k for k, v in self._hits.items() if not v or now - v[-1] > self.window][: self.max_keys // 2]:
                del self._hits[k]
        return True

    async def admit(self, key: str, now: float) -> bool:
        """``allow`` behind the face ``SharedRateLimit`` has (the caller need not know which it holds)."""
        return self.allow(key, now)


class RateCount(SQLModel, table=True):
    """Hits per key and minute for ``SharedRateLimit``. The key is a hash (of a client address or a
    web chat session id): nothing readable about anyone; rows older than two minutes are deleted."""

    __tablename__ = "rate_count"
    key: str = Field(sa_column=sa.Column(sa.String(32), primary_key=True))
    minute: int = Field(sa_column=sa.Column(sa.BigInteger, primary_key=True, autoincrement=False))
    hits: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))


class SharedRateLimit:
    """``RateLimit`` counted in the database: the same limit however many instances serve the
    requests (``INSTANCE_MODE=shared``). A sliding window from per-minute counters: this minute's
    hits plus the previous minute's, weighted by how much of it is still inside the window.
    ``now`` is wall-clock time (seconds since the epoch): every process must agree on it."""

    def __init__(self, db: Database, scope: str, per_minute: int) -> None:
        self.db, self.scope, self.per_minute = db, scope, per_minute

    def _key(self, key: str) -> str:
        return hashlib.sha256(f"{self.scope}\0{key}".encode()).hexdigest()[:32]

    async def admit(self, key: str, now: float) -> bool:
        hashed, minute = self._key(key), int(now // 60)
        weight = 1.0 - (now / 60 - minute)
        table = table_of(RateCount)
        async with self.db.write() as session:
            conn = await session.connection()
            insert = (pg_insert if conn.dialect.name == "postgresql" else sqlite_insert)(table)
            hits = (await conn.execute(
                insert.values(key=hashed, minute=minute, hits=1)
                .on_conflict_do_update(index_elements=["key", "minute"], set_={"hits": table.c.hits + 1})
                .returning(table.c.hits))).scalar_one()
            before = (await conn.execute(sa.select(table.c.hits).where(
                table.c.key == hashed, table.c.minute == minute - 1))).scalar() or 0
            allowed = (hits - 1) + before * weight < self.per_minute
            if not allowed:  # a refused request does not count (as in ``RateLimit``)
                await conn.execute(sa.update(table).where(table.c.key == hashed, table.c.minute == minute)
                                   .values(hits=table.c.hits - 1))
            if random.random() < 0.01:  # forget old minutes now and then
                await conn.execute(sa.delete(table).where(table.c.minute < minute - 1))
        return allowed
