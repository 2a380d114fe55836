"""``OutboxNotifier``: a message to one citizen, outside any turn (staff changed their report).

It writes an ``OutboundMessage`` (push, with its own retry key) and a talk-log entry in the
caller's transaction, so the message exists exactly when the change that caused it commits; once
the transaction commits, the outbox sender delivers it (and, after a failure or a crash, its retry
loop does). Implements civic's one notifier port, ``civic.notify.CitizenNotifier``: a notice's
buttons become quick replies.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import event
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.outbox.backlog import waiting_recipients
from bot.outbox.models import OutboundMessage
from bot.outbox.sender import OutboxSender
from bot.settings import PRODUCTION, TEST
from civic.citizens.models import Citizen
from civic.clock import Clock
from civic.database import Database
from civic.notify import Notice
from civic.talklog.models import TalkEntry
from conversation.turn import outbound_text

log = logging.getLogger(__name__)


class OutboxNotifier:
    def __init__(self, sender: Callable[[], OutboxSender | None], clock: Clock, channels: Callable[[], list[str]], *,
                 fetched: frozenset[str] = frozenset()) -> None:
        """``fetched``: channels with no LINE push whose pages fetch what is sent to them (the web
        chat fetches staff replies of 有人チャット): only the talk-log entry is written for those."""
        self._sender = sender
        self._clock = clock
        self._channels = channels
        self._fetched = fetched
        self._tasks: set[asyncio.Task[object]] = set()

    async def notify(self, session: AsyncSession, notice: Notice) -> None:
        message: dict[str, Any] = {"type": "text", "text": notice.text[:5000]}
        if notice.actions:
            message["quickReply"] = {"items": [
                {"type": "action", "action": {"type": "postback", "label": a.label[:20], "data": a.data,
                                              "displayText": a.label}}
                for a in notice.actions[:13]
            ]}
        channel = notice.channel or await channel_of(session, notice.channel_user_id)
        await self.notify_messages(session, channel=channel, to=notice.channel_user_id, messages=[message])

    async def notify_messages(self, session: AsyncSession, *, channel: str, to: str,
                              messages: list[dict[str, Any]]) -> None:
        now = self._clock.now()
        if channel in self._fetched:
            self._log_talk(session, to, messages, now)
            return
        if channel not in self._channels():
            log.info("no LINE account %r to notify %s through; skipped", channel, to[:6])
            return
        waiting = await waiting_recipients(await session.connection(), {(channel, to)})
        row = OutboundMessage(channel=channel, to=to, reply_token=None, retry_key=str(uuid.uuid4()),
                              messages=json.dumps(messages[:5], ensure_ascii=False), created_at=now,
                              next_attempt_at=now if waiting else None)  # behind the citizen's waiting answers
        session.add(row)
        self._log_talk(session, to, messages, now)
        await session.flush()

        def after_commit(_session: object) -> None:
            sender = self._sender()
            if sender is None:
                return  # not running (tests, CLI): the retry loop delivers it at the next start
            task = asyncio.get_running_loop().create_task(sender.send(row))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

        event.listen(session.sync_session, "after_commit", after_commit, once=True)

    @staticmethod
    def _log_talk(session: AsyncSession, to: str, messages: list[dict[str, Any]], now: datetime) -> None:
        for message in messages[:5]:
            session.add(TalkEntry(channel_user_id=to, direction="out", kind=str(message.get("type")),
                                  text=outbound_text(message), at=now))

    async def drain(self) -> None:
        """Wait for notifications being sent (tests, shutdown)."""
        if self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)


async def channel_of(session: AsyncSession, channel_user_id: str) -> str:
    """The LINE account a citizen talks to us through: the test account for test citizens."""
    citizen = (await session.exec(select(Citizen).where(Citizen.channel_user_id == channel_user_id))).first()
    return TEST if citizen is not None and citizen.is_test_account else PRODUCTION


#: The notice a resident gets with the result of 手続きナビ.
RESULT = "procedures.result"


class ProcedureResults:
    """``liff.procedures.ResultNotifier``: the navigation result, sent to the resident's talk."""

    def __init__(self, notifier: OutboxNotifier, db: Database) -> None:
        self._notifier, self._db = notifier, db

    async def send_result(self, line_user_id: str, text: str) -> None:
        async with self._db.write() as session:
            await self._notifier.notify(session, Notice(line_user_id, RESULT, text))
