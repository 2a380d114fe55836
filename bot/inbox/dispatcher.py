"""Processing inbox events: one at a time per user, in order; different users together.

Each user (or group/room) key has a queue. The dispatcher takes the head event of every user who
has nothing in flight, up to ``batch_size`` of them, and hands them to the processor as one batch
(one transaction for all of them: group commit). A user's next event waits until the batch that
holds their previous one has committed and sent its answers, so per-user order is kept while
thousands of users share a few transactions a second. ``concurrency`` batches may run their turns
at once; a batch gives up its slot when its turns are committed, while its answers are sent.

On start, events that were accepted but not finished before a restart (inbox events without an
outcome) are loaded from the inbox and processed first, in their original order.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from bot.inbox.models import finished_among, webhook_event
from bot.inbox.writer import Accepted, accepted_of
from civic.database import Database

log = logging.getLogger(__name__)

#: Runs a batch's turns; returns once they are committed, with the sending of the answers to await.
ProcessBatch = Callable[[list[Accepted]], Awaitable[Awaitable[Any] | None]]


class InboxDispatcher:
    """``inbox`` is the inbox store, ``db`` the main database (see ``bot.inbox.models``)."""

    def __init__(self, db: Database, inbox: Database, process: ProcessBatch, *, batch_size: int = 64,
                 concurrency: int = 2) -> None:
        self._db = db
        self._inbox = inbox
        self._process = process
        self._batch_size = batch_size
        self._slots = concurrency
        self._queues: dict[str, deque[Accepted]] = {}
        self._busy: set[str] = set()
        self._queued: set[int] = set()
        self._running = 0
        self._tasks: set[asyncio.Task[None]] = set()
        self._idle = asyncio.Event()
        self._idle.set()
        self._stopping = False
        self.retry_delay = 1.0
        #: Told the ids of every batch that finished (the turn worker reports them to the web process).
        self.on_done: Callable[[list[int]], None] | None = None
        #: Told, for each finished event, when it was accepted (``bot.metrics``: time to the end of its turn).
        self.on_finished: Callable[[datetime], None] | None = None

    async def resume_unfinished(self) -> list[int]:
        """Queue the events a previous run accepted but did not finish. Returns their ids."""
        async with self._inbox.read() as session:
            events = (await (await session.connection()).execute(
                sa.select(webhook_event.c.id).order_by(webhook_event.c.id)
            )).scalars().all()
        if not events:
            return []
        async with self._db.read() as session:
            finished = await finished_among(await session.connection(), events)
        unfinished = [id_ for id_ in events if id_ not in finished]
        rows: list[sa.Row[Any]] = []
        async with self._inbox.read() as session:
            conn = await session.connection()
            for start in range(0, len(unfinished), 500):
                rows += (await conn.execute(
                    sa.select(webhook_event).where(webhook_event.c.id.in_(unfinished[start:start + 500]))
                    .order_by(webhook_event.c.id)
                )).all()
        self.submit(accepted_of(row.id, row) for row in rows)
        if rows:
            log.info("resuming %d unfinished inbox events", len(rows))
        return [row.id for row in rows]

    def submit(self, accepted: Iterable[Accepted]) -> None:
        for item in accepted:
            if item.id in self._queued:
                continue
            self._queued.add(item.id)
            self._queues.setdefault(item.user_key, deque()).append(item)
        self._schedule()

    def _schedule(self) -> None:
        while not self._stopping and self._running < self._slots and self._has_ready():
            self._running += 1
            self._idle.clear()
            task = asyncio.get_running_loop().create_task(self._run())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        if not self._queues and self._running == 0:
            self._idle.set()

    def _has_ready(self) -> bool:
        return any(key not in self._busy for key in self._queues)

    async def _run(self) -> None:
        # The batch is taken when the task starts, not when it was scheduled: events submitted in
        # the meantime (the rest of a burst) join it.
        keys = [] if self._stopping else [key for key in self._queues if key not in self._busy][: self._batch_size]
        if not keys:
            self._running -= 1
            if not self._queues and self._running == 0:
                self._idle.set()
            return
        batch = [self._queues[key][0] for key in keys]
        self._busy.update(keys)
        try:
            sending = await self._process(batch)
        except Exception:
            # The processor closes events whose turns fail; an error here means the store itself
            # failed (database down, disk full). The events stay pending and are tried again.
            log.exception("inbox batch %s could not be processed; retrying in %.0f s", [item.id for item in batch],
                          self.retry_delay)
            self._running -= 1
            self._busy.difference_update(keys)
            asyncio.get_running_loop().call_later(self.retry_delay, self._schedule)
            return
        # Committed: the next batch may start while these answers are sent. The batch's users stay
        # busy until then, so a citizen's answers still arrive in order.
        self._running -= 1
        self._schedule()
        if sending is not None:
            try:
                await sending
            except Exception:  # the sender keeps unsent answers for its sweeper; it does not raise
                log.exception("sending the answers of inbox batch %s failed", [item.id for item in batch])
        for key, item in zip(keys, batch, strict=True):
            queue = self._queues[key]
            queue.popleft()
            self._queued.discard(item.id)
            if not queue:
                del self._queues[key]
            self._busy.discard(key)
        if self.on_done is not None:
            self.on_done([item.id for item in batch])
        if self.on_finished is not None:
            for item in batch:
                self.on_finished(item.received_at)
        self._schedule()

    async def wait_idle(self) -> None:
        """Until every queued event is processed (tests and graceful shutdown)."""
        await self._idle.wait()

    @property
    def backlog(self) -> int:
        return sum(len(q) for q in self._queues.values())

    async def stop(self) -> None:
        """Finish the batches in hand; the rest stays pending in the inbox."""
        self._stopping = True
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
