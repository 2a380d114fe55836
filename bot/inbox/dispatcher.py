"""Processing inbox events: one at a time per user, in order; different users in parallel.

Each user (or group/room) key has a queue and at most one task draining it; a semaphore bounds
how many users are served at once. On start, events that were accepted but not finished before a
restart are loaded from the inbox and processed first, in their original order.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Iterable

from sqlmodel import col, select

from bot.inbox.models import PENDING, InboxEvent
from bot.inbox.writer import Accepted
from civic.database import Database

log = logging.getLogger(__name__)

ProcessEvent = Callable[[int], Awaitable[None]]


class InboxDispatcher:
    def __init__(self, db: Database, process: ProcessEvent, *, concurrency: int = 32) -> None:
        self._db = db
        self._process = process
        self._slots = asyncio.Semaphore(concurrency)
        self._queues: dict[str, deque[int]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._idle = asyncio.Event()
        self._idle.set()
        self._seen: set[int] = set()
        self._stopping = False

    async def resume_unfinished(self) -> int:
        """Queue the events a previous run accepted but did not finish. Returns how many."""
        async with self._db.read() as session:
            rows = (
                await session.exec(
                    select(InboxEvent.id, InboxEvent.user_key)
                    .where(InboxEvent.status == PENDING)
                    .order_by(col(InboxEvent.id))
                )
            ).all()
        self.submit(Accepted(id_, key) for id_, key in rows)
        if rows:
            log.info("resuming %d unfinished inbox events", len(rows))
        return len(rows)

    def submit(self, accepted: Iterable[Accepted]) -> None:
        for item in accepted:
            if item.id in self._seen:
                continue
            self._seen.add(item.id)
            queue = self._queues.get(item.user_key)
            if queue is None:
                queue = self._queues[item.user_key] = deque()
                queue.append(item.id)
                self._start(item.user_key, queue)
            else:
                queue.append(item.id)

    def _start(self, key: str, queue: deque[int]) -> None:
        self._idle.clear()
        task = asyncio.get_running_loop().create_task(self._drain(key, queue))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _drain(self, key: str, queue: deque[int]) -> None:
        try:
            async with self._slots:
                while queue and not self._stopping:
                    event_id = queue[0]
                    try:
                        await self._process(event_id)
                    except Exception:
                        # The processor records failures itself; this is the last line of defence.
                        log.exception("inbox event %s could not be processed", event_id)
                    queue.popleft()
                    self._seen.discard(event_id)
        finally:
            if self._queues.get(key) is queue and not queue:
                del self._queues[key]
            elif queue and not self._stopping:
                self._start(key, queue)  # cannot happen in practice; never strand an event
            if not self._queues:
                self._idle.set()

    async def wait_idle(self) -> None:
        """Until every queued event is processed (tests and graceful shutdown)."""
        await self._idle.wait()

    @property
    def backlog(self) -> int:
        return sum(len(q) for q in self._queues.values())

    async def stop(self) -> None:
        """Finish the event in hand for each user; the rest stays pending in the inbox."""
        self._stopping = True
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
