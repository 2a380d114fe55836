"""Exactly once: two service instances racing on one database, and a crash in the middle of a send."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta
from typing import Any

from sqlmodel import select

from civic.clock import FrozenClock
from civic.crypto import FieldCipher
from civic.database import Database
from civic.deliveries.models import R_DONE, R_SENDING, DeliveryBatch, DeliveryRun
from civic.deliveries.sending import DeliveryDispatcher, Multicaster, SendingConfig
from civic.deliveries.services import DeliveryDesk
from tests.attributes.support import NOW
from tests.deliveries.conftest import Line
from tests.deliveries.test_sending import create, runs


def sender(db: Database, clock: FrozenClock, line: Multicaster, instance: str, **config: Any) -> DeliveryDispatcher:
    return DeliveryDispatcher(db, clock, line, instance=instance, desk=DeliveryDesk(),
                              config=SendingConfig(batch_size=50, rate_per_second=1000.0, **config))


async def test_two_instances_on_one_database_send_every_run_once(database_url: str, cipher: FieldCipher,
                                                                 line: Line) -> None:
    first, second = Database(database_url, cipher), Database(database_url, cipher)  # two processes' pools
    try:
        clock = FrozenClock(NOW)
        users = await line.citizens(first, 120)
        for i in range(6):
            await create(first, clock, title=f"お知らせ{i}", messages=[{"type": "text", "text": f"お知らせ{i}"}])
        for i in range(3):  # recurring deliveries: both instances turn their occurrences into runs at once
            await create(first, clock, title=f"毎日{i}", messages=[{"type": "text", "text": f"毎日{i}"}],
                         timing="recurring", rule={"kind": "daily", "time": "10:00", "start": "2026-11-21"})
        clock.advance(timedelta(days=1))
        meet = asyncio.Barrier(2)  # each instance's first multicast waits for the other's: both are mid-send
        a = sender(first, clock, MeetOnce(line.gateway, meet), "instance-a")
        b = sender(second, clock, MeetOnce(line.gateway, meet), "instance-b")
        async with asyncio.timeout(60):  # a guard: without the overlap the barrier would never open
            await asyncio.gather(a.tick(), b.tick(), a.tick(), b.tick())
        assert a.line.met and b.line.met  # both sent, and met while sending
        done = await runs(first)
        assert len(done) == 6 + 3 * 2  # each recurring one: today's and yesterday's (skipped) occurrence
        assert Counter(r.status for r in done) == {R_DONE: 9, "skipped": 3}
        assert {r.claimed_by for r in done if r.status == R_DONE} <= {"instance-a", "instance-b"}
        for user in users:
            texts = Counter(m["text"] for m in line.sim.messages(user))
            assert texts == Counter({f"お知らせ{i}": 1 for i in range(6)} | {f"毎日{i}": 1 for i in range(3)})
        calls = line.sim.calls("/v2/bot/message/multicast")
        assert len(calls) == 9 * 3 and all(c.status == 200 for c in calls)  # nothing was even tried twice
    finally:
        await first.dispose()
        await second.dispose()


class MeetOnce:
    """Passes multicasts to LINE; the first one waits at ``barrier`` until the other instance's first
    one is there too, so the two instances are certainly sending at the same time."""

    def __init__(self, inner: Multicaster, barrier: asyncio.Barrier) -> None:
        self.inner, self.barrier, self.met = inner, barrier, False

    async def multicast(self, channel: str, to: list[str], messages: list[dict[str, Any]], retry_key: str, *,
                        aggregation_unit: str | None = None) -> None:
        if not self.met:
            self.met = True
            await self.barrier.wait()
        await self.inner.multicast(channel, to, messages, retry_key, aggregation_unit=aggregation_unit)


class Crash(BaseException):
    """The process dies (not an error the sender could handle)."""


class CrashAfter:
    """Passes multicasts to LINE; after the ``n``-th is accepted, the process dies before recording it."""

    def __init__(self, inner: Multicaster, n: int) -> None:
        self.inner, self.n, self.calls = inner, n, 0

    async def multicast(self, channel: str, to: list[str], messages: list[dict[str, Any]], retry_key: str, *,
                        aggregation_unit: str | None = None) -> None:
        self.calls += 1
        await self.inner.multicast(channel, to, messages, retry_key, aggregation_unit=aggregation_unit)
        if self.calls == self.n:
            raise Crash


async def test_a_crash_mid_send_resumes_without_sending_anyone_twice(database_url: str, cipher: FieldCipher,
                                                                     line: Line) -> None:
    clock = FrozenClock(NOW)
    before = Database(database_url, cipher)
    users = await line.citizens(before, 260)
    await create(before, clock)
    crashing = sender(before, clock, CrashAfter(line.gateway, 3), "before-crash", concurrency=1)
    try:
        await crashing.tick()
    except Crash:
        pass
    else:
        raise AssertionError("the sender should have died")
    await before.dispose()
    (run,) = await runs_of(database_url, cipher)
    assert run.status == R_SENDING and run.targeted == 260
    received = sum(len(line.sim.messages(u)) for u in users)
    assert received == 150  # three batches reached LINE; only two were recorded

    after = Database(database_url, cipher)  # the restarted service
    try:
        restarted = sender(after, clock, line.gateway, "after-restart")
        assert await restarted.tick() == 0  # the dead instance's lease has not run out yet
        clock.advance(timedelta(minutes=3))
        assert await restarted.tick() == 1
        (run,) = await runs(after)
        assert (run.status, run.succeeded, run.failed, run.claimed_by) == (R_DONE, 260, 0, "after-restart")
        assert all(len(line.sim.messages(u)) == 1 for u in users)
        statuses = [c.status for c in line.sim.calls("/v2/bot/message/multicast")]
        assert statuses.count(409) == 1 and statuses.count(200) == 6  # the unrecorded batch: LINE said "already"
        async with after.read() as s:
            batches = (await s.exec(select(DeliveryBatch).order_by(DeliveryBatch.number))).all()
        assert [b.status for b in batches] == ["sent"] * 6 and sum(b.size for b in batches) == 260
    finally:
        await after.dispose()


async def runs_of(url: str, cipher: FieldCipher) -> list[DeliveryRun]:
    db = Database(url, cipher)
    try:
        async with db.read() as s:
            return list((await s.exec(select(DeliveryRun))).all())
    finally:
        await db.dispose()
