"""緊急配信 (issue #22): an urgent delivery goes before every other one — even one already sending —
by LINE's broadcast when it goes to everyone, and keeps its place in the queue after a crash."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from civic.clock import FrozenClock
from civic.database import Database
from civic.deliveries.models import BROADCAST, MULTICAST, R_DONE, R_SENDING, SEGMENT, URGENT, DeliveryRun
from civic.deliveries.sending import DeliveryDispatcher, SendingConfig
from civic.deliveries.services import DeliveryConfig, DeliveryDesk, DeliveryInput
from civic.segments import services as segments
from tests.attributes.support import NOW, install_demo
from tests.deliveries.conftest import Line
from tests.deliveries.test_sending import create, runs

ROUTINE_TEXT = [{"type": "text", "text": "みどり町の広報です。"}]
URGENT_TEXT = [{"type": "text", "text": "【緊急】避難指示が出ました。直ちに避難してください。"}]


class StaffMidway:
    """The gateway, with staff starting an urgent delivery while the routine one is on its first batches."""

    def __init__(self, line: Line, db: Database, clock: FrozenClock, **urgent: Any) -> None:
        self.gateway, self.db, self.clock, self.urgent = line.gateway, db, clock, urgent
        self.log: list[str] = []

    async def multicast(self, channel: str, to: list[str], messages: list[dict[str, Any]], retry_key: str, *,
                        aggregation_unit: str | None = None) -> None:
        urgent = messages[0].get("text", "").startswith("【緊急】")
        self.log.append("urgent" if urgent else "routine")
        if self.log.count("routine") == 1 and not urgent:
            await create(self.db, self.clock, title="避難指示", messages=URGENT_TEXT, urgent=True, **self.urgent)
        await self.gateway.multicast(channel, to, messages, retry_key, aggregation_unit=aggregation_unit)

    async def broadcast(self, channel: str, messages: list[dict[str, Any]], retry_key: str) -> None:
        self.log.append("urgent-broadcast")
        await self.gateway.broadcast(channel, messages, retry_key)


def _dispatcher(db: Database, clock: FrozenClock, line: Any, instance: str = "a") -> DeliveryDispatcher:
    return DeliveryDispatcher(db, clock, line, instance=instance, desk=DeliveryDesk(DeliveryConfig()),
                              config=SendingConfig(batch_size=20, concurrency=4, rate_per_second=10_000.0))


async def test_an_urgent_delivery_started_during_a_large_routine_one_reaches_everyone_before_it_ends(
        db: Database, line: Line) -> None:
    clock = FrozenClock(NOW)
    friends = await line.citizens(db, 400)  # 20 batches of 20, sent 4 at a time
    await create(db, clock, title="広報みどり", messages=ROUTINE_TEXT)
    sender = StaffMidway(line, db, clock)
    await _dispatcher(db, clock, sender).tick()
    # The urgent one went out in one broadcast right after the routine run's first wave, not after its last.
    assert sender.log.index("urgent-broadcast") == 4
    assert sender.log.count("routine") == 20 and sender.log[-1] == "routine"
    assert [c.path for c in line.sim.calls("/v2/bot/message/broadcast")] == ["/v2/bot/message/broadcast"]
    for user in friends:
        got = [m["text"] for m in line.sim.messages(user)]
        assert sorted(got) == sorted([ROUTINE_TEXT[0]["text"], URGENT_TEXT[0]["text"]])
    routine, urgent = await runs(db)
    assert (urgent.priority, urgent.method, urgent.status, urgent.targeted, urgent.succeeded) == (
        URGENT, BROADCAST, R_DONE, 400, 400)
    assert (routine.method, routine.status, routine.succeeded) == (MULTICAST, R_DONE, 400)
    # The urgent run finished while the routine run was still sending (its finish recorded after).
    assert urgent.finished_at is not None and routine.finished_at is not None
    assert urgent.id is not None and routine.id is not None and urgent.id > routine.id


async def test_an_urgent_delivery_to_a_segment_is_multicast_before_the_rest(db: Database, line: Line) -> None:
    clock = FrozenClock(NOW)
    await install_demo(db)
    friends = await line.citizens(db, 200)
    async with db.write() as s:
        segment = await segments.create_segment(s, NOW, name="全員（テスト用）", filter_data={"type": "all"})
    sender = StaffMidway(line, db, clock, target=SEGMENT, segment_id=segment.id)
    await create(db, clock, title="広報みどり", messages=ROUTINE_TEXT)
    await _dispatcher(db, clock, sender).tick()
    assert sender.log.index("urgent") == 4 and sender.log[-1] == "routine"
    assert sender.log.count("urgent") == 10 and "urgent-broadcast" not in sender.log
    assert all(len(line.sim.messages(u)) == 2 for u in friends)


async def test_urgent_runs_keep_their_place_after_a_crash(db: Database, line: Line) -> None:
    clock = FrozenClock(NOW)
    friends = await line.citizens(db, 60)
    await create(db, clock, title="広報みどり", messages=ROUTINE_TEXT)  # due first
    clock.advance(timedelta(seconds=5))
    await create(db, clock, title="避難指示", messages=URGENT_TEXT, urgent=True)
    # An instance claimed the urgent run and died before preparing it.
    async with db.write() as s:
        await s.exec(sa.update(DeliveryRun).where(DeliveryRun.priority == URGENT).values(  # type: ignore[arg-type]
            status=R_SENDING, claimed_by="dead", lease_until=clock.now() - timedelta(seconds=1)))
    sender = StaffMidway(line, db, clock)
    sender.log.append("routine")  # no staff this time
    assert await _dispatcher(db, clock, sender, instance="b").tick() == 2
    assert sender.log[1] == "urgent-broadcast" and sender.log[2:] == ["routine"] * 3
    assert all(len(line.sim.messages(u)) == 2 for u in friends)


async def test_staff_mark_a_delivery_urgent_through_the_desk(db: Database) -> None:
    async with db.write() as s:
        row = await DeliveryDesk().create(s, NOW, DeliveryInput(title="避難指示", messages=URGENT_TEXT, urgent=True))
    assert row.urgent
    (run,) = await runs(db)
    assert run.priority == URGENT
