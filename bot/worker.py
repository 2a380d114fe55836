"""The turn worker process (``python -m bot worker``), started by the web process.

It runs an app built in the ``WORKER`` role (the inbox dispatcher, the turns, the answers, and —
the first worker of an instance — the delivery scheduler) without listening on any port, and talks to its web process over stdin/stdout (the protocol is described
in ``bot.inbox.worker_link``). End-of-file on stdin — the web process stopped or died — or SIGTERM
or SIGINT ends it after the batches in hand are finished; what is left stays in the inbox.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Iterable
from typing import BinaryIO

from aiohttp import web

from bot.appkeys import DISPATCHER, WAKE_DELIVERIES
from bot.inbox.dispatcher import InboxDispatcher
from bot.inbox.shared import SharedInbox
from bot.inbox.worker_link import WAKE_LINE, parse_event_line, report_line

log = logging.getLogger(__name__)


class Reporter:
    """Writes the worker's reports to the web process; a closed pipe (web process gone) is ignored."""

    def __init__(self, out: BinaryIO) -> None:
        self._out = out
        self._broken = False

    def send(self, kind: str, ids: Iterable[int]) -> None:
        if self._broken:
            return
        try:
            self._out.write(report_line(kind, ids))
            self._out.flush()
        except (BrokenPipeError, ValueError, OSError):
            self._broken = True


async def _stdin_reader() -> asyncio.StreamReader:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    return reader


async def serve_worker(app: web.Application, *, reader: asyncio.StreamReader | None = None,
                       out: BinaryIO | None = None) -> None:
    """Start ``app`` (built with ``role=Role.WORKER``), feed it the events announced on ``reader``
    (stdin by default) and report back on ``out`` (stdout) until end-of-file or a stop signal."""
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    try:
        queue = app[DISPATCHER]
        assert isinstance(queue, InboxDispatcher | SharedInbox), "serve_worker needs an app built in the WORKER role"
        reporter = Reporter(out or sys.stdout.buffer)
        queue.on_done = lambda ids: reporter.send("D", ids)
        reader = reader or await _stdin_reader()
        if isinstance(queue, SharedInbox):  # shared mode: it takes what its partitions hold (no announcements)
            queue.on_taken = lambda ids: reporter.send("R", ids)
            await queue.start()
        else:
            reporter.send("R", await queue.resume_unfinished())
        dispatcher = queue.dispatcher if isinstance(queue, SharedInbox) else queue
        wake = app.get(WAKE_DELIVERIES)

        async def read() -> None:
            while line := await reader.readline():
                if line == WAKE_LINE:
                    if wake is not None:
                        wake()
                    continue
                item = parse_event_line(line)
                if item is None:
                    # An event line carries what a citizen wrote: its length only, never its text.
                    log.warning("ignoring an unexpected line (%d bytes) from the web process", len(line))
                    continue
                queue.submit([item])

        reading = loop.create_task(read())
        stopping = loop.create_task(stop.wait())
        await asyncio.wait({reading, stopping}, return_when=asyncio.FIRST_COMPLETED)
        for task in (reading, stopping):
            task.cancel()
        log.info("turn worker stopping; %d events left in the inbox for the next start", dispatcher.backlog)
    finally:
        await runner.cleanup()  # the dispatcher finishes the batches in hand
