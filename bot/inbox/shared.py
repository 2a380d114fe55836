"""Several instances on one PostgreSQL (``INSTANCE_MODE=shared``): any worker takes work from the shared inbox.

Single mode (the default, and the only mode on SQLite) hands each accepted event to the turn worker
of the instance that accepted it. Behind a load balancer that loses per-user order: two instances
may each hold one of a citizen's events. In shared mode the instance that accepts an event only
stores it (and wakes the workers with ``NOTIFY``); which worker processes it is decided in
PostgreSQL:

* users are hashed into ``PARTITIONS`` partitions (``md5`` of the user key, computed in SQL so
  every process agrees);
* a worker owns a partition while it holds the session-level advisory lock
  ``pg_try_advisory_lock(PARTITION_LOCKS, p)`` on its own connection; it processes that
  partition's unfinished events (no ``inbox_outcome``) in id order through the ordinary
  ``InboxDispatcher`` (per-user order, group commit);
* each worker also holds one *member* lock; the number of member locks in ``pg_locks`` is the
  number of live workers, and each worker aims at ``ceil(PARTITIONS / members)`` partitions. A
  worker above its share drains the extra partitions (takes nothing new from them, waits until
  their events in hand are answered) and then unlocks them; a worker below its share locks free
  ones. A new worker thus gets its share within a few ticks, and order is kept during the hand-over.
* A worker that dies (SIGKILL, crash) loses its connection; PostgreSQL releases its locks at once,
  and the others take its partitions at their next tick (``tick`` seconds, or sooner when woken by
  ``NOTIFY``). A machine that vanishes without closing its socket is noticed by the server's TCP
  keep-alives, set short on the lock connection (about 11 s).

Exactly-once does not depend on the locks: the turn claims the event's outcome in its own
transaction (``bot.turn``), and answers are pushed with retry keys (``bot.outbox``). A lock lost
while an event is in hand at worst makes another worker find the event already claimed.

Why advisory locks and not a lease table (or ``FOR UPDATE SKIP LOCKED`` per event): see
``bot/inbox/README.md``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import os
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any

import sqlalchemy as sa

from bot.inbox.dispatcher import InboxDispatcher
from bot.inbox.models import PARTITIONS, InboxOutcome, webhook_event
from bot.inbox.writer import Accepted, accepted_of
from civic.database import Database
from civic.rows import table_of

log = logging.getLogger(__name__)

#: The first key of the advisory locks (two-int form): partitions, and members (live workers).
PARTITION_LOCKS = 19_001
MEMBER_LOCKS = 19_002
MAX_MEMBERS = 1024
#: The channel the inbox writer notifies after committing new events.
CHANNEL = "madoguchi_inbox"
#: The lock connection's ``application_name`` (followed by the worker's process id).
APPLICATION = "madoguchi-inbox"
#: The lock connection's TCP keep-alives (server side): a vanished machine's locks are freed in ~11 s.
KEEPALIVES = {"tcp_keepalives_idle": "5", "tcp_keepalives_interval": "2", "tcp_keepalives_count": "3"}

#: The partition of a ``webhook_event`` row, in SQL (the same in every process).
PARTITION_OF: sa.ColumnClause[Any] = sa.literal_column(
    f"mod(('x' || substr(md5(webhook_event.user_key), 1, 8))::bit(32)::bigint, {PARTITIONS})")


def asyncpg_dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


def share_of(members: int) -> int:
    return math.ceil(PARTITIONS / max(1, members))


class SharedInbox:
    """The event queue of a process that runs turns in shared mode: takes the events of the
    partitions it holds and hands them to ``dispatcher``. ``submit`` only wakes it (the webhook of
    an inline process); the events themselves are read from the inbox."""

    def __init__(self, db: Database, dispatcher: InboxDispatcher, *, tick: float = 1.0, fetch_limit: int = 2000) -> None:
        if db.is_sqlite:
            raise ValueError("the shared inbox needs PostgreSQL")
        self._db = db
        self.dispatcher = dispatcher
        self._tick = tick
        self._fetch_limit = fetch_limit
        self._conn: Any = None  # asyncpg connection holding the locks and listening
        self._member: int | None = None
        self.held: set[int] = set()
        self.draining: set[int] = set()
        #: Events handed to the dispatcher and not finished, with their partitions.
        self._in_hand: dict[int, int] = {}
        self._recent_done: deque[int] = deque(maxlen=20_000)
        self._recent_set: set[int] = set()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        #: Told the ids of events taken from the inbox (the worker reports them as ``R``) and finished (``D``).
        self.on_taken: Callable[[list[int]], None] | None = None
        self.on_done: Callable[[list[int]], None] | None = None
        dispatcher.on_done = self._done

    # -- EventQueue ----------------------------------------------------------------------------
    def submit(self, accepted: Iterable[Accepted]) -> None:
        if list(accepted):
            self._wake.set()

    @property
    def backlog(self) -> int:
        return self.dispatcher.backlog

    async def wait_idle(self) -> None:
        await self.dispatcher.wait_idle()

    # -- life ----------------------------------------------------------------------------------
    async def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            # The pass under way ends by itself (cancelling a query leaves asyncpg's cancel request pending).
            done, _ = await asyncio.wait({self._task}, timeout=5)
            if not done:
                self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.dispatcher.stop()
        await self._disconnect()

    async def _disconnect(self) -> None:
        conn, self._conn = self._conn, None
        self.held.clear()
        self.draining.clear()
        self._member = None
        if conn is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(conn.close(), 5)

    async def _connect(self) -> None:
        import asyncpg  # type: ignore[import-untyped]

        # Named after the process: pg_stat_activity (joined with pg_locks) shows which worker holds what.
        conn = await asyncpg.connect(asyncpg_dsn(self._db.url),
                                     server_settings={**KEEPALIVES, "application_name": f"{APPLICATION}-{os.getpid()}"})
        await conn.add_listener(CHANNEL, self._notified)
        for slot in range(MAX_MEMBERS):
            if await conn.fetchval("SELECT pg_try_advisory_lock($1, $2)", MEMBER_LOCKS, slot):
                self._member = slot
                break
        else:
            await conn.close()
            raise RuntimeError(f"more than {MAX_MEMBERS} workers on one database")
        self._conn = conn
        log.info("shared inbox: joined as worker %d", self._member)

    def _notified(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        """New events were stored; the payload names their partitions (empty: look anyway). A worker
        holding none of them sleeps on: with N workers, one query per notification instead of N."""
        try:
            partitions = {int(p) for p in payload.split(",") if p}
        except ValueError:
            partitions = set()
        if not partitions or partitions & (self.held - self.draining):
            self._wake.set()

    async def _run(self) -> None:
        while not self._stopping:
            try:
                if self._conn is None or self._conn.is_closed():
                    if self._conn is not None:
                        log.error("shared inbox: the lock connection was lost; its partitions are given up")
                    await self._disconnect()
                    await self._connect()
                await self._rebalance()
                await self._fetch()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("shared inbox: a pass failed; trying again")
                if self._conn is not None and self._conn.is_closed():
                    await self._disconnect()
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._tick)

    # -- partitions ----------------------------------------------------------------------------
    async def _members(self) -> int:
        return int(await self._conn.fetchval(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid = $1 "
            "AND objsubid = 2 AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
            MEMBER_LOCKS))

    async def _rebalance(self) -> None:
        share = share_of(await self._members())
        active = self.held - self.draining
        if len(active) > share:  # give the extras up once their events in hand are answered
            self.draining |= set(sorted(active, reverse=True)[: len(active) - share])
        elif len(active) < share and self.draining:  # still ours after all
            keep = sorted(self.draining)[: share - len(active)]
            self.draining -= set(keep)
        for partition in sorted(self.draining):
            if partition not in self._in_hand.values():
                await self._conn.fetchval("SELECT pg_advisory_unlock($1, $2)", PARTITION_LOCKS, partition)
                self.held.discard(partition)
                self.draining.discard(partition)
        missing = share - len(self.held - self.draining)
        if missing <= 0:
            return
        # Each worker starts looking at its own place, so that workers rarely race for one partition.
        start = ((self._member or 0) * share) % PARTITIONS
        for i in range(PARTITIONS):
            partition = (start + i) % PARTITIONS
            if partition in self.held:
                continue
            if await self._conn.fetchval("SELECT pg_try_advisory_lock($1, $2)", PARTITION_LOCKS, partition):
                self.held.add(partition)
                missing -= 1
                if missing == 0:
                    break

    async def _fetch(self) -> None:
        partitions = sorted(self.held - self.draining)
        if not partitions:
            return
        outcome = table_of(InboxOutcome)
        query = (
            sa.select(webhook_event, PARTITION_OF.label("partition"))
            .where(PARTITION_OF.in_(partitions))
            .where(~sa.exists().where(outcome.c.event_id == webhook_event.c.id))
            .order_by(webhook_event.c.id).limit(self._fetch_limit)
        )
        async with self._db.read() as session:
            rows = (await (await session.connection()).execute(query)).all()
        taken: list[Accepted] = []
        for row in rows:
            if row.id in self._in_hand or row.id in self._recent_set or row.partition not in self.held:
                continue
            self._in_hand[row.id] = int(row.partition)
            taken.append(accepted_of(row.id, row))
        if taken:
            if self.on_taken is not None:
                self.on_taken([item.id for item in taken])
            self.dispatcher.submit(taken)
        if len(rows) == self._fetch_limit:
            self._wake.set()  # more to read

    def _done(self, ids: list[int]) -> None:
        for id_ in ids:
            self._in_hand.pop(id_, None)
            if len(self._recent_done) == self._recent_done.maxlen:
                self._recent_set.discard(self._recent_done[0])
            self._recent_done.append(id_)
            self._recent_set.add(id_)
        if self.on_done is not None:
            self.on_done(ids)
        if self.draining:
            self._wake.set()
