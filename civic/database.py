"""The database: one async engine per service, SQLite embedded by default, PostgreSQL to scale.

``Database.read()`` opens an ordinary transaction; ``Database.write()`` opens one that takes
SQLite's write lock at BEGIN (``BEGIN IMMEDIATE``), so read-then-write transactions never
deadlock and concurrent writers queue instead of failing. On PostgreSQL both are plain
transactions; domains use row locks or constraints where they need them.

On SQLite, writers of this process also queue in the event loop before BEGIN (``WriteGate``):
SQLite allows one writer at a time, and waiting in the event loop is immediate where SQLite's own
busy handler would sleep and retry. Urgent writers (``write(urgent=True)``: committing accepted
webhook events, which LINE is waiting for) go before queued ordinary ones.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

from civic.crypto import FieldCipher
from civic.inline_sqlite import connect_inline

_IMMEDIATE = "madoguchi_immediate"


class WriteGate:
    """A lock with two queues: urgent waiters are served before ordinary ones (FIFO within each)."""

    def __init__(self) -> None:
        self._locked = False
        self._urgent: deque[asyncio.Future[None]] = deque()
        self._ordinary: deque[asyncio.Future[None]] = deque()

    async def acquire(self, urgent: bool = False) -> None:
        if not self._locked and not self._urgent and not self._ordinary:
            self._locked = True
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        queue = self._urgent if urgent else self._ordinary
        queue.append(future)
        try:
            await future
        except asyncio.CancelledError:
            if future.done() and not future.cancelled():
                self.release()  # handed over just as we were cancelled: pass it on
            else:
                queue.remove(future)
            raise

    def release(self) -> None:
        for queue in (self._urgent, self._ordinary):
            while queue:
                future = queue.popleft()
                if not future.done():
                    future.set_result(None)  # ownership passes directly to the next waiter
                    return
        self._locked = False

    @contextlib.asynccontextmanager
    async def hold(self, urgent: bool = False) -> AsyncIterator[None]:
        await self.acquire(urgent)
        try:
            yield
        finally:
            self.release()


def _prepare_sqlite(sync_engine: Engine) -> None:
    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Take transaction control from the driver so BEGIN is ours (see module docstring).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        # Deleted rows are overwritten with zeros, not left in free pages (erasure on request).
        cur.execute("PRAGMA secure_delete=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        immediate = conn.get_execution_options().get(_IMMEDIATE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def ensure_sqlite_directory(url: str) -> None:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)


class Database:
    """Owns the engine and hands out sessions. Create one per service (no module-level engine)."""

    def __init__(self, url: str, cipher: FieldCipher, *, echo: bool = False, pool_size: int = 10,
                 inline: bool = False) -> None:
        """``inline`` (SQLite only): statements run on the event loop's thread instead of a driver
        thread (``civic.inline_sqlite``): for the turn worker, never for a process serving HTTP."""
        self.url = url
        self.cipher = cipher
        ensure_sqlite_directory(url)
        backend = make_url(url).get_backend_name()
        self.is_sqlite = backend == "sqlite"
        # Statement parameters are what citizens wrote: never in an exception's text (nor the logs).
        kwargs: dict[str, Any] = {"echo": echo, "hide_parameters": True}
        if self.is_sqlite:
            # Keep connections: each aiosqlite connection is a thread, costly to open and close.
            kwargs.update(pool_size=max(pool_size, 16), max_overflow=32)
            if inline:
                kwargs["async_creator"] = connect_inline(make_url(url).database or ":memory:")
        else:
            kwargs.update(pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)
        self.engine: AsyncEngine = create_async_engine(url, **kwargs)
        # The cipher travels with the engine's dialect so EncryptedText columns can reach it.
        self.engine.sync_engine.dialect.madoguchi_cipher = cipher  # type: ignore[attr-defined]  # read by EncryptedText
        if self.is_sqlite:
            _prepare_sqlite(self.engine.sync_engine)
        self._inline: Engine | None = None
        self._read = async_sessionmaker(self.engine, class_=AsyncSession, expire_on_commit=False)
        self._gate = WriteGate() if self.is_sqlite else None
        self._write = async_sessionmaker(
            self.engine.execution_options(**{_IMMEDIATE: True}), class_=AsyncSession, expire_on_commit=False
        )

    @contextlib.asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        async with self._read() as session:
            yield session

    @contextlib.asynccontextmanager
    async def write(self, *, urgent: bool = False) -> AsyncIterator[AsyncSession]:
        """A transaction committed on success and rolled back on error."""
        if self._gate is None:
            async with self._write() as session, session.begin():
                yield session
            return
        async with self._gate.hold(urgent), self._write() as session, session.begin():
            yield session

    @contextlib.asynccontextmanager
    async def write_inline(self, *, urgent: bool = False) -> AsyncIterator[Connection]:
        """SQLite only: a write transaction whose statements run synchronously on the event loop's
        thread, for short, hot transactions (committing accepted webhook events).

        Every statement through the async engine is a round trip to a driver thread costing
        ~0.4 ms of CPU, where the statement itself takes microseconds. The body must not await:
        it holds SQLite's write lock (and this process's write gate) while it runs.
        """
        if self._gate is None:
            raise RuntimeError("write_inline is for SQLite; use write()")
        async with self._gate.hold(urgent):
            with self._inline_engine().connect() as conn, conn.begin():
                yield conn

    def _inline_engine(self) -> Engine:
        if self._inline is None:
            url = make_url(self.url).set(drivername="sqlite")
            engine = create_engine(url, pool_size=1, max_overflow=0, hide_parameters=True)
            engine.dialect.madoguchi_cipher = self.cipher  # type: ignore[attr-defined]  # read by EncryptedText
            _prepare_sqlite(engine)
            self._inline = engine.execution_options(**{_IMMEDIATE: True})
        return self._inline

    async def dispose(self) -> None:
        await self.engine.dispose()
        if self._inline is not None:
            self._inline.dispose()
