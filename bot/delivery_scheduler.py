"""Time for deliveries: APScheduler (3.x ``AsyncIOScheduler``) drives the delivery dispatcher.

Two jobs: ``deliveries.tick`` every ``interval`` seconds (the safety net: it also takes over runs
another instance left behind), and ``deliveries.next`` at the exact time the next run or
occurrence is due, moved after every tick. ``wake()`` runs a tick now (after staff send
something "now"). Several service instances may run this at once: each run is claimed in the
database before it is sent (``civic.deliveries.sending``), so nothing goes out twice.

Wiring: the composition root (``bot/service.py``) enters ``running_deliveries(...)`` on the service's
exit stack once the gateway is open — in the inline process, or with ``serve`` in its turn worker
(the first of a pool), never in the web process that acknowledges webhooks (issue #19) — and gives
the admin API's delivery router ``Core.wake_deliveries`` (from the web process: a ``W`` line down the
worker's pipe).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.gateway import LineGateway
from bot.settings import TEST, Settings
from civic.clock import Clock
from civic.database import Database
from civic.deliveries.sending import DeliveryDispatcher, SendingConfig
from civic.deliveries.services import DeliveryConfig, DeliveryDesk

log = logging.getLogger(__name__)
TICK, NEXT = "deliveries.tick", "deliveries.next"


class DeliveryScheduler:
    def __init__(self, dispatcher: DeliveryDispatcher, *, interval: float = 30.0,
                 scheduler: AsyncIOScheduler | None = None) -> None:
        self.dispatcher = dispatcher
        self.interval = interval
        self.scheduler = scheduler or AsyncIOScheduler(timezone=UTC)
        self.ticks = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._ticking = False
        self._again = False
        self._tasks: set[asyncio.Task[None]] = set()

    def start(self) -> None:
        self.scheduler.add_job(self._tick, "interval", seconds=self.interval, id=TICK, max_instances=1,
                               coalesce=True, next_run_time=datetime.now(UTC), misfire_grace_time=None)
        self.scheduler.start()

    def wake(self) -> None:
        """Tick as soon as possible (something may be due now). A wake during a tick is not lost:
        the tick runs once more when it ends."""
        if not self.scheduler.running:
            return
        if self._ticking:
            self._again = True
            return
        task = asyncio.get_running_loop().create_task(self._tick())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _tick(self) -> None:
        if self._ticking:  # a timed tick fired while another runs: one more after it, not two at once
            self._again = True
            return
        self._ticking = True
        self._idle.clear()
        try:
            while True:
                self._again = False
                try:
                    sent = await self.dispatcher.tick()
                    self.ticks += 1
                    if sent:
                        log.info("deliveries: %d run(s) sent", sent)
                    await self._plan_next()
                except Exception:
                    log.exception("deliveries tick failed; the next tick tries again")
                if not self._again:
                    break
        finally:
            self._ticking = False
            self._idle.set()

    async def _plan_next(self) -> None:
        async with self.dispatcher.db.read() as s:
            due = await self.dispatcher.desk.next_wakeup(s)
        if due is None or not self.scheduler.running:
            return
        # The scheduler runs on the wall clock; aim at the due time, never in the past.
        at = max(due, datetime.now(UTC) + timedelta(milliseconds=100))
        if at - datetime.now(UTC) < timedelta(seconds=self.interval):
            self.scheduler.add_job(self._tick, "date", run_date=at, id=NEXT, replace_existing=True,
                                   misfire_grace_time=None)

    async def stop(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._idle.wait()  # let a tick in progress record what it sent




def instance_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:64]


@contextlib.asynccontextmanager
async def running_deliveries(settings: Settings, db: Database, clock: Clock, gateway: LineGateway, *,
                             interval: float = 30.0, allow_http: bool = False,
                             rate_per_second: float = 100.0) -> AsyncIterator[DeliveryScheduler]:
    """The scheduler, started on the open database and gateway, and stopped on leaving."""
    desk = DeliveryDesk(DeliveryConfig(
        production_channel="production",
        test_channel=TEST if settings.test_line is not None else "production",
        allow_http=allow_http))
    dispatcher = DeliveryDispatcher(
        db, clock, gateway, instance=instance_name(), desk=desk,
        config=SendingConfig(link_base_url=settings.public_base_url, rate_per_second=rate_per_second))
    scheduler = DeliveryScheduler(dispatcher, interval=interval)
    scheduler.start()
    try:
        yield scheduler
    finally:
        await scheduler.stop()
