"""The shared inbox's partitions (``bot.inbox.shared``), two workers in one process on PostgreSQL.

The turns are stand-ins that record which worker ran which event and claim its outcome, so the
hand-over itself is what is tested: a joining worker gets its share; a partition with an event in
hand moves only once that event is finished (a citizen's order); a worker that goes away leaves
its partitions to the other.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from bot.inbox.dispatcher import InboxDispatcher
from bot.inbox.models import DONE, PARTITIONS, InboxOutcome, partition_of
from bot.inbox.shared import CHANNEL, SharedInbox
from bot.inbox.writer import Accepted, InboxWriter
from civic.clock import SystemClock
from civic.crypto import FieldCipher
from civic.database import Database
from civic.rows import table_of
from tests.bot.helpers import text_event
from tests.conftest import _truncate_all


@pytest.fixture
async def pg(postgres_database: str, cipher: FieldCipher) -> AsyncIterator[Database]:
    await _truncate_all(postgres_database)
    db = Database(postgres_database, cipher)
    yield db
    await db.dispose()


def _user_in(partitions: range) -> str:
    return next(f"U{i:032x}" for i in range(10_000) if partition_of(f"U{i:032x}") in partitions)


async def _until(predicate: Callable[[], bool]) -> None:
    async with asyncio.timeout(20):
        while not predicate():
            await asyncio.sleep(0.02)


class Worker:
    """A shared inbox whose turns record ``(worker, text)`` and can be held."""

    def __init__(self, name: str, db: Database, log: list[tuple[str, str]]) -> None:
        self.name, self._db, self._log = name, db, log
        self.hold = asyncio.Event()
        self.hold.set()
        self.inbox = SharedInbox(db, InboxDispatcher(db, db, self._process), tick=0.1)

    async def _process(self, batch: list[Accepted]) -> Awaitable[Any] | None:
        await self.hold.wait()
        async with self._db.write() as session:
            conn = await session.connection()
            for item in batch:
                self._log.append((self.name, json.loads(item.payload)["message"]["text"]))
                await conn.execute(table_of(InboxOutcome).insert().values(
                    event_id=item.id, status=DONE, done_at=SystemClock().now()))
        return None


async def test_partitions_are_shared_handed_over_after_their_turns_and_taken_over(pg: Database) -> None:
    writer = InboxWriter(pg, SystemClock(), notify=CHANNEL)
    log: list[tuple[str, str]] = []
    a, b = Worker("a", pg, log), Worker("b", pg, log)
    # A worker above its share gives up its highest partitions: this citizen's moves from a to b.
    moving = _user_in(range(PARTITIONS // 2, PARTITIONS))
    await a.inbox.start()
    try:
        await _until(lambda: len(a.inbox.held) == PARTITIONS)
        await writer.add("production", [text_event(moving, "1")])
        await _until(lambda: ("a", "1") in log)
        a.hold.clear()  # the next turn of a stays in hand
        await writer.add("production", [text_event(moving, "2")])
        await _until(lambda: a.inbox.backlog == 1)
        await b.inbox.start()
        await _until(lambda: len(b.inbox.held) == PARTITIONS // 2 - 1)
        await asyncio.sleep(0.5)  # several ticks: the partition with an event in hand stays with a
        partition = partition_of(moving)
        assert partition in a.inbox.held and partition in a.inbox.draining
        assert partition not in b.inbox.held
        await writer.add("production", [text_event(moving, "3")])  # waits: a drains, b does not own it yet
        await asyncio.sleep(0.3)
        assert [text for _, text in log] == ["1"]
        a.hold.set()
        await _until(lambda: ("b", "3") in log)
        assert log == [("a", "1"), ("a", "2"), ("b", "3")]
        assert a.inbox.held.isdisjoint(b.inbox.held)
        assert len(a.inbox.held) == len(b.inbox.held) == PARTITIONS // 2
        # a goes away: its partitions are b's at b's next pass.
        await a.inbox.stop()
        await _until(lambda: len(b.inbox.held) == PARTITIONS)
        stays = _user_in(range(0, PARTITIONS // 2))
        await writer.add("production", [text_event(stays, "4")])
        await _until(lambda: ("b", "4") in log)
    finally:
        a.hold.set()
        await a.inbox.stop()
        await b.inbox.stop()
