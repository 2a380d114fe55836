"""Jobs that run on time (reminders, wipes, purges), driven by APScheduler inside the service.

Each job is an async function of no arguments; a failing run is logged and the job runs again at
its next time. Jobs that must not run twice across service instances claim their work in the
database themselves (e.g. a reminder's ``reminded_at``), so several instances may run the same
schedule safely.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

from apscheduler.schedulers.asyncio import AsyncIOScheduler

log = logging.getLogger(__name__)

Job = Callable[[], Awaitable[object]]


@dataclass
class Schedule:
    """The service's jobs: name → (every how many seconds, job)."""

    jobs: dict[str, tuple[float, Job]] = field(default_factory=dict)

    def every(self, seconds: float, name: str, job: Job) -> None:
        self.jobs[name] = (seconds, job)


def _logged(name: str, job: Job, told: Callable[[str, str], None] | None = None) -> Job:
    async def run() -> None:
        try:
            result = await job()
            if result:
                log.info("job %s: %s", name, result)
        except Exception:
            log.exception("job %s failed; it runs again at its next time", name)
            if told is not None:
                told(name, "failed")
        else:
            if told is not None:
                told(name, "ok")

    return run


@contextlib.asynccontextmanager
async def running(schedule: Schedule, told: Callable[[str, str], None] | None = None) -> AsyncIterator[None]:
    """The jobs run while inside; leaving stops them (a run in progress is not awaited). ``told``
    hears each run's job name and result (``ok``/``failed``), for ``/metrics``."""
    scheduler = AsyncIOScheduler(timezone="UTC")
    for name, (seconds, job) in schedule.jobs.items():
        scheduler.add_job(_logged(name, job, told), "interval", seconds=seconds, id=name, name=name,
                          coalesce=True, max_instances=1, misfire_grace_time=max(1, int(seconds)))
    scheduler.start()
    try:
        yield
    finally:
        scheduler.shutdown(wait=False)
