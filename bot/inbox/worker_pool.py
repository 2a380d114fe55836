"""``WORKERS=N``: several turn worker processes under one web process (shared mode only).

Each worker is a ``python -m bot worker --index i`` supervised by its own ``WorkerLink`` (started
again a second after it exits). Nothing is announced to them: in shared mode every worker takes
its share of the inbox's partitions from PostgreSQL (``bot.inbox.shared``). When one dies its
advisory locks go with its connection and the others take its partitions at their next tick;
when it comes back it joins as a member again and the others drain their extra partitions to it.
So the pool itself only starts, supervises and stops — the balancing is PostgreSQL's.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence

from bot.inbox.worker_link import WorkerLink
from bot.inbox.writer import Accepted


def worker_command(base: Sequence[str], index: int) -> list[str]:
    """The ``index``-th worker's command line (its own log file: ``madoguchi-worker-<i>.log``)."""
    return [*base, "--index", str(index)] if index else list(base)


class WorkerPool:
    """The same face as ``WorkerLink`` (the web process's ``DISPATCHER``) over ``count`` workers."""

    def __init__(self, command: Sequence[str], count: int, *, restart_delay: float = 1.0,
                 stop_timeout: float = 30.0) -> None:
        if count < 2:
            raise ValueError("a pool is for two or more workers; use WorkerLink")
        self.links = [WorkerLink(worker_command(command, i), restart_delay=restart_delay,
                                 stop_timeout=stop_timeout, announce=False) for i in range(count)]

    async def start(self) -> None:
        await asyncio.gather(*(link.start() for link in self.links))

    async def stop(self) -> None:
        await asyncio.gather(*(link.stop() for link in self.links))

    def submit(self, accepted: Iterable[Accepted]) -> None:
        """Nothing to announce: the workers are woken by ``NOTIFY`` from the inbox writer."""

    def wake_deliveries(self) -> None:
        """Every worker hears it; the one that runs the delivery scheduler (``--index 0``) acts."""
        for link in self.links:
            link.wake_deliveries()

    @property
    def alive(self) -> bool:
        """Every worker runs (``/readyz``: one restarting makes the instance not ready for a moment)."""
        return all(link.alive for link in self.links)

    @property
    def backlog(self) -> int:
        return sum(link.backlog for link in self.links)

    @property
    def restarts(self) -> int:
        return sum(link.restarts for link in self.links)

    async def wait_idle(self) -> None:
        for link in self.links:
            await link.wait_idle()
