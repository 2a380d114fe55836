"""``OutboxNotifier``: a message to one citizen, outside any turn (staff changed their report).

It writes an ``OutboundMessage`` (push, with its own retry key) and a talk-log entry in the
caller's transaction, so the message exists exactly when the change that caused it commits; once
the transaction commits, the outbox sender delivers it (and, after a crash, ``resend_unsent`` at
start-up does). Implements ``civic.reports.services.CitizenNotifier``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Callable

from sqlalchemy import event
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.outbox.models import OutboundMessage
from bot.outbox.sender import OutboxSender
from civic.clock import Clock
from civic.talklog.models import TalkEntry

log = logging.getLogger(__name__)


class OutboxNotifier:
    def __init__(self, sender: Callable[[], OutboxSender | None], clock: Clock, channels: Callable[[], list[str]]) -> None:
        self._sender = sender
        self._clock = clock
        self._channels = channels
        self._tasks: set[asyncio.Task[object]] = set()

    async def notify(self, session: AsyncSession, *, channel: str, to: str, text: str) -> None:
        if channel not in self._channels():
            log.info("no LINE account %r to notify %s through; skipped", channel, to[:6])
            return
        now = self._clock.now()
        row = OutboundMessage(channel=channel, to=to, reply_token=None, retry_key=str(uuid.uuid4()),
                              messages=json.dumps([{"type": "text", "text": text[:5000]}], ensure_ascii=False),
                              created_at=now)
        session.add(row)
        session.add(TalkEntry(channel_user_id=to, direction="out", kind="text", text=text[:5000], at=now))
        await session.flush()

        def after_commit(_session: object) -> None:
            sender = self._sender()
            if sender is None:
                return  # not running (tests, CLI): resend_unsent delivers it at the next start
            task = asyncio.get_running_loop().create_task(sender.send(row))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

        event.listen(session.sync_session, "after_commit", after_commit, once=True)

    async def drain(self) -> None:
        """Wait for notifications being sent (tests, shutdown)."""
        if self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
