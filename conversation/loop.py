"""The turn loop every channel shares: state in, handler, talk log and state out — in the caller's
transaction.

``TurnBatch`` is opened on the session of one write transaction (the channel's edge owns it and
commits it) for one or more turns, at most one per citizen::

    batch = TurnBatch(session, now)
    await batch.load_states({user})
    turn = batch.turn(channel, user, event, inbound)
    replies = await batch.run(handler, turn)      # at most five messages, logged
    await batch.save()                            # talk log and states, bulk

LINE's turn worker (``bot.turn.TurnProcessor``) adds what only LINE has around it (claiming the
inbox event, citizens, group chats, the outbox); the web chat (``liff.webchat``) returns the
replies in its HTTP answer.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel.ext.asyncio.session import AsyncSession

from civic.citizens.models import Citizen
from civic.rows import table_of
from civic.talklog.models import TalkEntry
from conversation.events import InboundEvent
from conversation.state import ConversationState
from conversation.turn import Message, Turn, TurnHandler, outbound_text

log = logging.getLogger(__name__)

#: LINE accepts five messages per reply.
MAX_REPLIES = 5
#: Events recorded by other means (friendship, the unsend itself), not as an inbound talk entry.
UNLOGGED = frozenset({"follow", "unfollow", "unsend"})


async def prepare(handler: TurnHandler, event: InboundEvent) -> Any:
    """The handler's ``prepare`` (work before the transaction, outside the write lock), if it has one."""
    hook = getattr(handler, "prepare", None)
    return await hook(event) if hook is not None else None


def _upsert(dialect: str) -> Any:
    table = table_of(ConversationState)
    insert = (sqlite if dialect == "sqlite" else postgresql).insert(table)
    return insert.on_conflict_do_update(
        index_elements=[table.c.channel_user_id],
        set_={"data": insert.excluded.data, "updated_at": insert.excluded.updated_at},
    )


class TurnBatch:
    """The talk log and the conversation states of turns that share one transaction."""

    def __init__(self, session: AsyncSession, now: datetime) -> None:
        self.session = session
        self.now = now
        self.talk: list[dict[str, Any]] = []
        self._states: dict[str, str] = {}
        self._saved: list[dict[str, Any]] = []

    async def load_states(self, users: set[str]) -> None:
        if not users:
            return
        conn = await self.session.connection()
        table = table_of(ConversationState)
        for user, data in (await conn.execute(
                sa.select(table.c.channel_user_id, table.c.data).where(table.c.channel_user_id.in_(users)))).all():
            self._states[user] = data

    def turn(self, channel: str, user_id: str | None, event: dict[str, Any], inbound: InboundEvent, *,
             citizen: Citizen | None = None, content: bytes | None = None, prepared: Any = None) -> Turn:
        """A turn for ``user_id`` with their saved state (``load_states`` first)."""
        before = self._states.get(user_id) if user_id else None
        return Turn(channel, user_id, event, self.now, self.session, json.loads(before) if before else {},
                    citizen, content, prepared, parsed=inbound)

    async def run(self, handler: TurnHandler, turn: Turn) -> list[Message]:
        """Handle the turn; log what was said both ways and keep the state. Returns the replies."""
        await handler.handle(turn)
        kind, text = turn.inbound.summary
        if turn.user_id and kind not in UNLOGGED:
            self.log(turn, "in", kind, text, turn.inbound.message_id)
        replies = self.replies(turn)
        if turn.user_id:
            self.keep_state(turn)
        return replies

    def replies(self, turn: Turn) -> list[Message]:
        """The turn's replies (at most five), logged for the citizen."""
        messages = turn.replies[:MAX_REPLIES]
        if len(turn.replies) > MAX_REPLIES:
            log.error("turn produced %d messages; LINE accepts 5, the rest were dropped", len(turn.replies))
        if turn.user_id:
            for message in messages:
                self.log(turn, "out", str(message.get("type")), outbound_text(message))
        return messages

    def log(self, turn: Turn, direction: str, kind: str, text: str | None, message_id: str | None = None) -> None:
        self.talk.append({"channel_user_id": turn.user_id, "direction": direction, "kind": kind, "text": text,
                          "intent": turn.intent, "flow": turn.flow, "at": self.now, "message_id": message_id})

    def keep_state(self, turn: Turn) -> None:
        assert turn.user_id is not None
        after = json.dumps(turn.state, ensure_ascii=False)
        if after != self._states.get(turn.user_id):
            self._states[turn.user_id] = after
            self._saved.append({"channel_user_id": turn.user_id, "data": after, "updated_at": self.now})

    async def save(self) -> None:
        """What the handlers added through the ORM, then the talk log and the changed states."""
        await self.session.flush()
        conn = await self.session.connection()
        if self.talk:
            await conn.execute(sa.insert(table_of(TalkEntry)), self.talk)
        if self._saved:
            await conn.execute(_upsert(conn.dialect.name), self._saved)
