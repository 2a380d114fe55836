"""The web process's side of the turn worker: a child process that processes the inbox.

Acknowledging webhooks and running turns compete for one core when they share a process (at 1,000
events/s, more than a core's worth of work): acknowledgements then queue behind turns. So
``python -m bot serve`` runs turns in a child process (``python -m bot worker``) and this process
only verifies, stores and acknowledges.

The link is a pair of pipes carrying line-based messages; the inbox stays the source of truth:

* to the worker (its stdin): ``E <JSON>`` for each newly committed event — the event itself
  travels with its announcement (``bot.inbox.writer.Accepted``), so the worker reads the inbox
  only when it resumes;
* to the worker: ``W`` — a delivery may be due now (staff sent one "now"): the delivery scheduler,
  which runs in the worker and not in this process (issue #19), looks at once;
* from the worker (its stdout): ``R <ids…>`` the events it resumed from the inbox at start,
  ``D <ids…>`` events finished (answered or closed).

Nothing is lost when a message is: a worker (re)starting resumes every unfinished event from the
inbox, and the turn transaction re-checks an event's status, so an event announced twice is
processed once. If the worker exits, it is started again; when this process dies, the worker reads
end-of-file, finishes the batches in hand and exits.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Iterable, Sequence
from datetime import datetime

from bot.inbox.writer import Accepted

log = logging.getLogger(__name__)


def event_line(item: Accepted) -> bytes:
    fields = [item.id, item.user_key, item.channel, item.received_at.isoformat(), item.payload, item.request_id]
    return b"E " + json.dumps(fields, ensure_ascii=False).encode() + b"\n"


def parse_event_line(line: bytes) -> Accepted | None:
    """The inverse of ``event_line``; None for anything else."""
    if not line.startswith(b"E "):
        return None
    try:
        id_, user_key, channel, received_at, payload, request_id = json.loads(line[2:])
        return Accepted(int(id_), str(user_key), str(channel), datetime.fromisoformat(received_at), str(payload),
                        str(request_id))
    except (ValueError, TypeError):
        return None


WAKE_LINE = b"W\n"


def report_line(kind: str, ids: Iterable[int]) -> bytes:
    """``R``/``D`` and event ids: the worker's reports (read by ``WorkerLink``)."""
    return f"{kind} {' '.join(map(str, ids))}\n".encode("ascii")


class WorkerLink:
    """Starts and supervises the worker process and announces accepted events to it."""

    def __init__(self, command: Sequence[str], *, restart_delay: float = 1.0, stop_timeout: float = 30.0,
                 announce: bool = True) -> None:
        self._command = list(command)
        #: False in shared mode (``bot.inbox.shared``): workers take events from the inbox by partition
        #: (woken by ``NOTIFY``), so nothing is announced; the backlog is what this worker has taken.
        self._announce = announce
        self._restart_delay = restart_delay
        self._stop_timeout = stop_timeout
        self._proc: asyncio.subprocess.Process | None = None
        self._supervisor: asyncio.Task[None] | None = None
        self._stopping = False
        #: Events announced or resumed and not reported finished: the backlog.
        self._outstanding: set[int] = set()
        self._idle = asyncio.Event()
        self._idle.set()
        self._started = asyncio.Event()
        self.restarts = 0

    async def start(self) -> None:
        self._supervisor = asyncio.get_running_loop().create_task(self._supervise())
        await self._started.wait()

    async def _supervise(self) -> None:
        while not self._stopping:
            self._outstanding.clear()  # a new worker reports what it resumes
            self._update_idle()
            try:
                self._proc = await asyncio.create_subprocess_exec(
                    *self._command, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
            except OSError:
                log.exception("the turn worker could not be started; trying again in %.0f s", self._restart_delay)
                self._started.set()
                await asyncio.sleep(self._restart_delay)
                continue
            self._started.set()
            assert self._proc.stdout is not None
            await self._read(self._proc.stdout)
            code = await self._proc.wait()
            if self._stopping:
                return
            self.restarts += 1
            log.error("the turn worker exited (code %s); starting it again in %.0f s (unfinished events are "
                      "resumed from the inbox)", code, self._restart_delay)
            await asyncio.sleep(self._restart_delay)

    async def _read(self, stdout: asyncio.StreamReader) -> None:
        while line := await stdout.readline():
            kind, _, rest = line.decode("ascii", "replace").strip().partition(" ")
            ids = {int(part) for part in rest.split() if part.isdigit()}
            if kind == "R":
                self._outstanding |= ids
            elif kind == "D":
                self._outstanding -= ids
            else:
                log.warning("unexpected line from the turn worker: %r", line[:80])
            self._update_idle()

    def _update_idle(self) -> None:
        if self._outstanding:
            self._idle.clear()
        else:
            self._idle.set()

    def submit(self, accepted: Iterable[Accepted]) -> None:
        items = list(accepted)
        if not items or not self._announce:
            return
        self._outstanding.update(item.id for item in items)
        self._update_idle()
        proc = self._proc
        if proc is None or proc.stdin is None or proc.returncode is not None or proc.stdin.is_closing():
            return  # the next worker resumes them from the inbox
        proc.stdin.write(b"".join(event_line(item) for item in items))

    def wake_deliveries(self) -> None:
        """Tell the worker a delivery may be due now; lost if it is restarting (it ticks at start)."""
        proc = self._proc
        if proc is not None and proc.stdin is not None and proc.returncode is None and not proc.stdin.is_closing():
            proc.stdin.write(WAKE_LINE)

    @property
    def alive(self) -> bool:
        """Whether the worker process is running now (``/readyz``)."""
        return self._proc is not None and self._proc.returncode is None and not self._stopping

    @property
    def backlog(self) -> int:
        return len(self._outstanding)

    async def wait_idle(self) -> None:
        await self._idle.wait()

    async def stop(self) -> None:
        """Close the worker's input: it finishes the batches in hand and exits."""
        self._stopping = True
        proc = self._proc
        if proc is not None and proc.returncode is None:
            if proc.stdin is not None and not proc.stdin.is_closing():
                proc.stdin.close()
            try:
                await asyncio.wait_for(proc.wait(), self._stop_timeout)
            except TimeoutError:
                log.error("the turn worker did not stop in %.0f s; killing it", self._stop_timeout)
                proc.kill()
                await proc.wait()
        if self._supervisor is not None:
            self._supervisor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._supervisor
