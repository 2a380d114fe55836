"""The service with the delivery scheduler wired in: APScheduler ticks, wake-ups, a clean stop."""

from __future__ import annotations

import asyncio
from pathlib import Path

from aiohttp.test_utils import TestServer

from bot.help_responder import HelpResponder
from bot.service import Core, open_deliveries, spine
from bot.settings import LineAccount, Settings
from civic.clock import FrozenClock
from civic.crypto import parse_key
from civic.database import Database
from civic.deliveries.services import DeliveryDesk, DeliveryInput
from tests.attributes.support import NOW
from tests.conftest import TEST_KEY
from tests.deliveries.conftest import PROD_SECRET, PROD_TOKEN, TEST_SECRET, TEST_TOKEN, Line

REPO = Path(__file__).resolve().parents[2]


async def _wait_for(predicate) -> None:
    async with asyncio.timeout(10):
        while not predicate():
            await asyncio.sleep(0.05)


async def test_the_service_sends_what_becomes_due(sqlite_db: Database, line: Line) -> None:
    url = sqlite_db.url
    users = await line.citizens(sqlite_db, 3)
    testers = await line.citizens(sqlite_db, 1, test=True)
    settings = Settings(line=LineAccount("production", PROD_SECRET, PROD_TOKEN, line.sim.url, line.sim.url),
                        test_line=LineAccount("test", TEST_SECRET, TEST_TOKEN, line.sim.url, line.sim.url),
                        database_url=url, data_key=parse_key(TEST_KEY), content_dir=REPO / "content",
                        public_base_url="https://town.example")
    clock = FrozenClock(NOW)
    core = Core(settings, clock=clock)
    app, lifespan = spine(core, HelpResponder())
    lifespan.add(open_deliveries(core, interval=3600))  # only wake-ups and due times
    server = TestServer(app)
    await server.start_server()
    try:
        scheduler = core.deliveries.get()
        await _wait_for(lambda: scheduler.ticks >= 1)  # the first tick runs at start
        async with sqlite_db.write() as s:
            row = await DeliveryDesk().create(s, clock.now(), DeliveryInput(
                title="お知らせ", messages=[{"type": "text", "text": "水道工事のお知らせ"}]))
            await DeliveryDesk().send_test(s, clock.now(), row.id)  # type: ignore[arg-type]
        scheduler.wake()
        await _wait_for(lambda: all(line.sim.messages(u) for u in users))
        assert [len(line.sim.messages(u)) for u in users] == [1, 1, 1]
        await _wait_for(lambda: bool(line.test_sim.messages(testers[0])))  # through the test channel
        assert line.test_sim.calls("/v2/bot/message/multicast")[0].headers["Authorization"] == f"Bearer {TEST_TOKEN}"
        ticks = scheduler.ticks
        scheduler.wake()
        await _wait_for(lambda: scheduler.ticks > ticks)
        assert [len(line.sim.messages(u)) for u in users] == [1, 1, 1]  # nothing twice
    finally:
        await server.close()
    assert not core.deliveries.get().scheduler.running


async def test_a_wake_during_a_tick_is_not_lost() -> None:
    """Staff send "now" while a tick is running: one more tick follows, never two at once."""
    from bot.delivery_scheduler import DeliveryScheduler

    class SlowDispatcher:
        def __init__(self) -> None:
            self.started = asyncio.Event()
            self.release = asyncio.Event()
            self.running = 0
            self.most = 0

        async def tick(self) -> int:
            self.running += 1
            self.most = max(self.most, self.running)
            self.started.set()
            await self.release.wait()
            self.running -= 1
            return 0

    dispatcher = SlowDispatcher()
    scheduler = DeliveryScheduler(dispatcher, interval=3600)  # type: ignore[arg-type]
    scheduler._plan_next = lambda: asyncio.sleep(0)  # no database here: nothing to plan
    scheduler.scheduler.start(paused=True)
    scheduler.wake()
    await dispatcher.started.wait()  # the first tick is certainly running …
    scheduler.wake()  # … when these wakes arrive
    scheduler.wake()
    dispatcher.release.set()
    await scheduler.stop()  # waits for the tick in progress and the one it owes
    assert scheduler.ticks == 2 and dispatcher.most == 1
