"""Sending deliveries to linesim through the SDK: batches, retry keys, audiences, timing, failures."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import select

from bot.gateway import LineGateway, RetryPolicy
from bot.settings import LineAccount
from civic.attributes import services as attributes
from civic.clock import FrozenClock
from civic.database import Database
from civic.deliveries import links
from civic.deliveries.errors import DeliveryProblem
from civic.deliveries.models import (
    AT,
    B_FAILED,
    D_FINISHED,
    R_DONE,
    R_FAILED,
    R_SENDING,
    SEGMENT,
    TEST_ACCOUNTS,
    DeliveryBatch,
    DeliveryRun,
)
from civic.deliveries.sending import DeliveryDispatcher, SendingConfig, batch_key
from civic.deliveries.services import DeliveryConfig, DeliveryDesk, DeliveryInput
from civic.segments import services as segments
from tests.attributes.support import NOW, install_demo
from tests.deliveries.conftest import PROD_SECRET, PROD_TOKEN, Line, _no_sleep

TEXT = "みどり町からのお知らせです。詳しくは https://www.town.midori.example.jp/news/1 をご覧ください $"
HELLO = [{"type": "text", "text": TEXT,
          "emojis": [{"index": TEXT.index("$"), "productId": "5ac1bfd5040ab15980c9b435", "emojiId": "001"}]}]


def dispatcher(db: Database, clock: FrozenClock, line: Line, *, instance: str = "a", batch: int = 100,
               **config) -> DeliveryDispatcher:
    return DeliveryDispatcher(db, clock, line.gateway, instance=instance, desk=DeliveryDesk(DeliveryConfig()),
                              config=SendingConfig(batch_size=batch, rate_per_second=1000.0,
                                                   link_base_url="https://town.example", **config))


async def create(db: Database, clock: FrozenClock, **fields) -> int:
    data = DeliveryInput(title=fields.pop("title", "お知らせ"), messages=fields.pop("messages", HELLO), **fields)
    async with db.write() as s:
        row = await DeliveryDesk().create(s, clock.now(), data, by="tester")
        return row.id  # type: ignore[return-value]


async def runs(db: Database) -> list[DeliveryRun]:
    async with db.read() as s:
        return list((await s.exec(select(DeliveryRun).order_by(DeliveryRun.id))).all())


async def test_the_batches_are_cut_alike_on_either_database(db: Database, line: Line) -> None:
    """SQLite cuts in Python, PostgreSQL in one INSERT … SELECT (issue #19): the same batches — citizens
    in their order, 100 a batch, numbered from 0, each with the key derived from the run's seed."""
    clock = FrozenClock(NOW)
    friends = await line.citizens(db, 230)
    await line.citizens(db, 2, friend=False)
    await create(db, clock)
    assert await dispatcher(db, clock, line).tick() == 1
    (run,) = await runs(db)
    async with db.read() as s:
        batches = (await s.exec(select(DeliveryBatch).order_by(DeliveryBatch.number))).all()
    assert [(b.number, b.size, json.loads(b.recipients)) for b in batches] == [
        (0, 100, friends[:100]), (1, 100, friends[100:200]), (2, 30, friends[200:])]
    assert [b.retry_key for b in batches] == [batch_key(run.key_seed, n) for n in range(3)]


async def test_everyone_in_batches_with_retry_keys_and_tracked_links(db: Database, line: Line) -> None:
    clock = FrozenClock(NOW)
    friends = await line.citizens(db, 230)
    blocked = await line.citizens(db, 3, friend=False)
    testers = await line.citizens(db, 2, test=True)
    await create(db, clock)
    assert await dispatcher(db, clock, line).tick() == 1
    calls = line.sim.calls("/v2/bot/message/multicast")
    assert sorted(len(c.body["to"]) for c in calls) == [30, 100, 100] and all(c.status == 200 for c in calls)
    assert len({c.headers["X-Line-Retry-Key"] for c in calls}) == 3
    assert all(c.body["customAggregationUnits"] == [calls[0].body["customAggregationUnits"][0]] for c in calls)
    got = line.sim.messages(friends[0])
    assert len(got) == 1 and "https://town.example/r/" in got[0]["text"]
    assert "www.town.midori" not in got[0]["text"]
    assert got[0]["text"][got[0]["emojis"][0]["index"]] == "$"  # the emoji moved with the shorter link
    assert all(len(line.sim.messages(u)) == 1 for u in friends)
    assert all(line.sim.messages(u) == [] for u in blocked)
    assert line.test_sim.calls("/v2/bot/message") == [] and all(line.test_sim.messages(u) == [] for u in testers)
    (run,) = await runs(db)
    assert (run.status, run.targeted, run.succeeded, run.failed) == (R_DONE, 230, 230, 0)
    # The link leads where the message said, and the click is counted.
    token = got[0]["text"].split("/r/")[1].split()[0]
    url = await links.follow(db, NOW, token, remote="203.0.113.5", agent="LINE/14")
    await links.follow(db, NOW, token, remote="203.0.113.5", agent="LINE/14")
    await links.follow(db, NOW, token, remote="198.51.100.7", agent="LINE/14")
    assert url == "https://www.town.midori.example.jp/news/1"
    assert await links.follow(db, NOW, "no-such-token", remote=None, agent=None) is None
    async with db.read() as s:
        assert (await links.clicks_by_run(s, [run.id])) == {run.id: (3, 2)}
        (delivery_status,) = (await s.exec(sa.text("SELECT status FROM delivery"))).one()
    assert delivery_status == D_FINISHED


async def test_segment_and_test_send_reach_only_their_people(db: Database, line: Line) -> None:
    await install_demo(db)
    clock = FrozenClock(NOW)
    users = await line.citizens(db, 6)
    testers = await line.citizens(db, 2, test=True)
    async with db.write() as s:
        ids = [r[0] for r in (await s.exec(sa.text("SELECT id FROM citizen ORDER BY id"))).all()]
        for cid in ids[:3] + ids[6:7]:
            await attributes.set_values(s, NOW, cid, {"area": "honmachi"})
        seg = await segments.create_segment(s, NOW, name="本町", filter_data={
            "type": "choice", "attribute": "area", "values": ["honmachi"]})
    delivery_id = await create(db, clock, target=SEGMENT, segment_id=seg.id, timing=AT,
                               send_at=NOW + timedelta(hours=2))
    async with db.write() as s:
        await DeliveryDesk().send_test(s, clock.now(), delivery_id)
    assert await dispatcher(db, clock, line).tick() == 1  # only the test send is due
    assert [len(line.test_sim.messages(u)) for u in testers] == [1, 1]
    assert line.sim.calls("/v2/bot/message") == []  # production untouched (§9(2)(ア)⑧)
    clock.advance(timedelta(hours=2))
    assert await dispatcher(db, clock, line).tick() == 1
    assert [len(line.sim.messages(u)) for u in users] == [1, 1, 1, 0, 0, 0]
    assert [len(line.test_sim.messages(u)) for u in testers] == [1, 1]  # a tester in 本町 gets no second copy
    statuses = sorted((r.is_test, r.status, r.targeted) for r in await runs(db))
    assert statuses == [(False, R_DONE, 3), (True, R_DONE, 2)]


async def test_delivery_to_test_accounts_uses_the_test_channel(db: Database, line: Line) -> None:
    clock = FrozenClock(NOW)
    await line.citizens(db, 3)
    testers = await line.citizens(db, 2, test=True)
    await create(db, clock, target=TEST_ACCOUNTS)
    await dispatcher(db, clock, line).tick()
    assert line.sim.calls("/v2/bot/message") == []
    assert [len(line.test_sim.messages(u)) for u in testers] == [1, 1]


async def test_a_batch_line_refuses_is_failed_with_its_reason(db: Database, line: Line) -> None:
    clock = FrozenClock(NOW)
    await line.citizens(db, 150)
    await create(db, clock)
    line.sim.fail_next("/v2/bot/message/multicast", 400)
    await dispatcher(db, clock, line).tick()
    (run,) = await runs(db)
    assert (run.status, run.targeted, run.succeeded, run.failed) == (R_DONE, 150, 50, 100)
    async with db.read() as s:
        failed = (await s.exec(select(DeliveryBatch).where(DeliveryBatch.status == B_FAILED))).all()
    assert len(failed) == 1 and failed[0].error.startswith("400")


async def test_transient_trouble_is_retried_later_with_the_same_keys(db: Database, line: Line) -> None:
    clock = FrozenClock(NOW)
    users = await line.citizens(db, 120)
    await create(db, clock)
    line.sim.fail_next("/v2/bot/message/multicast", 500, times=2)  # the gateway's two tries of batch 1
    sender = dispatcher(db, clock, line, concurrency=1, retry_after=timedelta(minutes=1))
    await sender.tick()
    (run,) = await runs(db)
    assert run.status == R_SENDING and "500" in (run.error or "") and run.succeeded == 0
    assert await sender.tick() == 0  # not before retry_after
    clock.advance(timedelta(minutes=2))
    assert await sender.tick() == 1
    (run,) = await runs(db)
    assert (run.status, run.succeeded) == (R_DONE, 120)
    assert all(len(line.sim.messages(u)) == 1 for u in users)
    keys = [c.headers["X-Line-Retry-Key"] for c in line.sim.calls("/v2/bot/message/multicast")]
    assert keys[0] == keys[1] == keys[2] and len(set(keys)) == 2  # batch 1 kept its key through the retries


class Monotonic:
    """The gateway's circuit-breaker time, moved with the test's clock."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _outage_sender(db: Database, clock: FrozenClock, line: Line, monotonic: Monotonic,
                   **config) -> tuple[LineGateway, DeliveryDispatcher]:
    """A dispatcher whose gateway's circuit breaker runs on ``monotonic``."""
    url = line.sim.url
    gateway = LineGateway({"production": LineAccount("production", PROD_SECRET, PROD_TOKEN, url, url)},
                          retry=RetryPolicy(attempts=2, base_delay=0.01), sleep=_no_sleep, monotonic=monotonic)
    return gateway, DeliveryDispatcher(db, clock, gateway, instance="a", desk=DeliveryDesk(DeliveryConfig()),
                                       config=SendingConfig(rate_per_second=1000.0, **config))


async def test_a_long_outage_delays_a_delivery_but_does_not_fail_it(db: Database, line: Line) -> None:
    clock, monotonic = FrozenClock(NOW), Monotonic()
    users = await line.citizens(db, 120)
    await create(db, clock)
    gateway, sender = _outage_sender(db, clock, line, monotonic, batch_size=50, concurrency=1)
    try:
        line.sim.line_down(status=503)
        for _ in range(12):  # LINE down for hours: many more tries than a handful
            await sender.tick()
            clock.advance(timedelta(minutes=20))
            monotonic.now += 20 * 60
        (run,) = await runs(db)
        assert run.status == R_SENDING and run.attempts == 12 and (run.error or "").startswith("再試行待ち")
        line.sim.line_up()
        assert await sender.tick() == 1
        (run,) = await runs(db)
        assert (run.status, run.succeeded, run.failed) == (R_DONE, 120, 0)
        assert all(len(line.sim.messages(u)) == 1 for u in users)
    finally:
        await gateway.close()


async def test_a_delivery_line_could_not_take_for_a_day_is_given_up(db: Database, line: Line) -> None:
    clock, monotonic = FrozenClock(NOW), Monotonic()
    users = await line.citizens(db, 10)
    await create(db, clock)
    gateway, sender = _outage_sender(db, clock, line, monotonic)
    try:
        line.sim.line_down(status=503)
        await sender.tick()
        clock.advance(timedelta(hours=23, minutes=1))
        monotonic.now += 23 * 3600
        await sender.tick()
        (run,) = await runs(db)
        assert (run.status, run.succeeded, run.failed) == (R_FAILED, 0, 10)
        line.sim.line_up()
        clock.advance(timedelta(hours=1))
        assert await sender.tick() == 0
        assert all(line.sim.messages(u) == [] for u in users)
    finally:
        await gateway.close()


async def test_cancel_stops_what_has_not_been_sent(db: Database, line: Line) -> None:
    clock = FrozenClock(NOW)
    users = await line.citizens(db, 5)
    later = await create(db, clock, timing=AT, send_at=NOW + timedelta(days=1))
    async with db.write() as s:
        await DeliveryDesk().cancel(s, clock.now(), later)
    clock.advance(timedelta(days=2))
    assert await dispatcher(db, clock, line).tick() == 0
    assert all(line.sim.messages(u) == [] for u in users)
    assert [r.status for r in await runs(db)] == ["cancelled"]


async def test_recurring_delivery_sends_each_occurrence_once_and_skips_long_missed_ones(
        db: Database, line: Line) -> None:
    clock = FrozenClock(NOW)  # Saturday 2026-11-21 10:00 JST
    users = await line.citizens(db, 3)
    delivery_id = await create(db, clock, timing="recurring", rule={
        "kind": "weekly", "weekdays": [0], "time": "07:30", "start": "2026-11-01", "end": "2026-12-07"})
    sender = dispatcher(db, clock, line)
    assert await sender.tick() == 0
    monday = NOW + timedelta(days=1, hours=21, minutes=30)  # Monday 2026-11-23 07:30 JST
    clock.set(monday + timedelta(minutes=1))
    assert await sender.tick() == 1
    clock.set(monday + timedelta(days=7, hours=5))  # five hours late: still sent (catch-up window 6 h)
    assert await sender.tick() == 1
    clock.set(monday + timedelta(days=15))  # the service was down over the last Monday: skipped, not sent late
    assert await sender.tick() == 0
    assert [(r.due_at, r.status) for r in await runs(db)] == [
        (monday, R_DONE), (monday + timedelta(days=7), R_DONE), (monday + timedelta(days=14), "skipped")]
    assert [len(line.sim.messages(u)) for u in users] == [2, 2, 2]
    async with db.read() as s:
        assert (await DeliveryDesk().get(s, delivery_id)).status == D_FINISHED


async def test_runs_are_due_at_their_time_and_recorded_once(db: Database, line: Line) -> None:
    clock = FrozenClock(NOW)
    await line.citizens(db, 2)
    await create(db, clock, timing="recurring", rule={"kind": "daily", "time": "10:30", "start": "2026-11-21"})
    sender = dispatcher(db, clock, line)
    clock.set(NOW + timedelta(minutes=29))
    assert await sender.tick() == 0
    clock.set(NOW + timedelta(minutes=30))
    assert await sender.tick() == 1
    assert await sender.tick() == 0
    clock.set(NOW + timedelta(days=1, minutes=31))
    assert await sender.tick() == 1
    assert [(r.status, r.due_at) for r in await runs(db)] == [
        (R_DONE, NOW + timedelta(minutes=30)), (R_DONE, NOW + timedelta(days=1, minutes=30))]
    async with db.read() as s:
        assert await DeliveryDesk().next_wakeup(s) == NOW + timedelta(days=2, minutes=30)


async def test_editing_a_scheduled_delivery_moves_its_run(db: Database, line: Line) -> None:
    clock = FrozenClock(NOW)
    users = await line.citizens(db, 2)
    delivery_id = await create(db, clock, timing=AT, send_at=NOW + timedelta(hours=1))
    async with db.write() as s:
        await DeliveryDesk().update(s, clock.now(), delivery_id, DeliveryInput(
            title="変更後", messages=[{"type": "text", "text": "時間を変えました"}], timing=AT,
            send_at=NOW + timedelta(hours=3)))
    clock.advance(timedelta(hours=2))
    assert await dispatcher(db, clock, line).tick() == 0
    clock.advance(timedelta(hours=1))
    assert await dispatcher(db, clock, line).tick() == 1
    assert [m["text"] for m in line.sim.messages(users[0])] == ["時間を変えました"]
    assert sorted(r.status for r in await runs(db)) == ["cancelled", R_DONE]
    with pytest.raises(DeliveryProblem) as info:  # sent: it cannot be edited any more
        async with db.write() as s:
            await DeliveryDesk().update(s, clock.now(), delivery_id, DeliveryInput(title="x", messages=HELLO))
    assert info.value.kind == "conflict"
