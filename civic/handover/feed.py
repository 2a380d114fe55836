"""Live changes of hand-overs for the staff console (有人チャット, issue #17): new messages in a
conversation and changes of the inbox, wherever they were written.

A citizen's message is recorded by the turn worker (another process), a staff reply perhaps by
another instance on the same PostgreSQL: so nothing here trusts this process's memory. The database
is the one source: every message has an increasing id (its sequence number), every open hand-over
a status and an assignee. One ``HandoverFeed`` per process watches them for all its subscribers
with two cheap indexed queries, once a ``tick`` (1 s; 0.25 s on SQLite) while anyone listens, and at once when
PostgreSQL says something changed (``LISTEN madoguchi_handover``; ``services.announce`` sends the
``NOTIFY`` in the writing transaction, so it arrives when the change is committed). A change made in
this process wakes it too (``poke``).

What subscribers get carries no personal data: only which hand-over has messages up to which id,
and that the inbox changed. The console then reads the messages through the API (its permission).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import col, select

from civic.database import Database
from civic.handover.models import OPEN, Handover, HandoverMessage
from civic.handover.services import FEED_CHANNEL as CHANNEL

log = logging.getLogger(__name__)

#: Seconds between looks while anyone listens: PostgreSQL (NOTIFY wakes it at once), SQLite.
TICK, SQLITE_TICK = 1.0, 0.25


@dataclass(frozen=True)
class Change:
    """``kind``: ``message`` (``handover`` has messages up to ``last``) or ``inbox`` (the list of
    open hand-overs or their assignees changed, or any message arrived)."""

    kind: str
    handover: int = 0
    last: int = 0


class HandoverFeed:
    def __init__(self, db: Database, *, tick: float | None = None, listen: bool = True) -> None:
        self._db = db
        #: SQLite has no NOTIFY (and one instance): looking is the only way, and cheap on a local file.
        self._tick = tick if tick is not None else (SQLITE_TICK if db.is_sqlite else TICK)
        self._listen = listen and not db.is_sqlite
        self._subscribers: set[asyncio.Queue[Change | None]] = set()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._conn: object | None = None
        self._seen = -1  # newest message id seen (-1: not read yet)
        self._inbox: frozenset[tuple[int, int | None]] | None = None
        self._closed = False
        self._lock = asyncio.Lock()
        #: Passes made (for tests and the benchmark).
        self.passes = 0
        self.listening = False

    # -- subscribers -----------------------------------------------------------------------------
    @contextlib.asynccontextmanager
    async def subscribe(self) -> AsyncIterator[asyncio.Queue[Change | None]]:
        """A queue of changes until the block ends; ``None`` in it: the feed closed (shut down)."""
        queue: asyncio.Queue[Change | None] = asyncio.Queue(maxsize=1000)
        if self._closed:
            queue.put_nowait(None)
            yield queue
            return
        self._subscribers.add(queue)
        if self._seen < 0:  # the starting point, before the subscriber is told it is ready
            await self.check()
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run())
        try:
            yield queue
        finally:
            self._subscribers.discard(queue)

    def poke(self) -> None:
        """Something changed (written by this process): look now rather than at the next tick."""
        self._wake.set()

    @property
    def seen(self) -> int:
        return max(self._seen, 0)

    async def close(self) -> None:
        """Ends every subscription (the service shuts down) and the watching."""
        self._closed = True
        for queue in list(self._subscribers):
            with contextlib.suppress(asyncio.QueueFull):
                queue.put_nowait(None)
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self._unlisten()

    # -- watching --------------------------------------------------------------------------------
    async def _run(self) -> None:
        while self._subscribers and not self._closed:
            try:
                if self._listen and self._conn is None:
                    await self._start_listening()
                await self.check()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("hand-over feed: a pass failed; trying again")
                await self._unlisten()
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._tick)
        await self._unlisten()
        if not self._subscribers:
            self._seen, self._inbox = -1, None  # the next subscriber starts afresh

    async def check(self) -> list[Change]:
        """One pass: what changed since the last, told to every subscriber."""
        async with self._lock:
            return await self._check()

    async def _check(self) -> list[Change]:
        self.passes += 1
        async with self._db.read() as s:
            first = self._seen < 0
            query = select(HandoverMessage.handover_id, sa.func.max(HandoverMessage.id)).group_by(
                col(HandoverMessage.handover_id))
            if first:
                newest = (await s.exec(select(sa.func.max(HandoverMessage.id)))).one()
                fresh: list[tuple[int, int]] = []
            else:
                fresh = [(int(h), int(m or 0)) for h, m in
                         (await s.exec(query.where(col(HandoverMessage.id) > self._seen))).all()]
                newest = max([self._seen, *(m for _, m in fresh)])
            inbox = frozenset((int(i or 0), a) for i, a in (await s.exec(
                select(Handover.id, Handover.assignee_id).where(Handover.status == OPEN))).all())
        changes = [Change("message", h, m) for h, m in fresh]
        if not first and (fresh or inbox != self._inbox):
            changes.append(Change("inbox"))
        self._seen, self._inbox = int(newest or 0), inbox
        for queue in list(self._subscribers):
            for change in changes:
                with contextlib.suppress(asyncio.QueueFull):  # a stuck reader loses changes, not the feed
                    queue.put_nowait(change)
        return changes

    async def _start_listening(self) -> None:
        import asyncpg  # type: ignore[import-untyped]

        url = sa.engine.make_url(self._db.url).set(drivername="postgresql")
        conn = await asyncpg.connect(url.render_as_string(hide_password=False))
        await conn.add_listener(CHANNEL, lambda *_: self._wake.set())
        self._conn = conn
        self.listening = True

    async def _unlisten(self) -> None:
        conn, self._conn = self._conn, None
        self.listening = False
        if conn is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(conn.close(), 5)  # type: ignore[attr-defined]
