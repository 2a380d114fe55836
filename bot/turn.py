"""One turn: an inbox event in, the citizen's state updated, answers out — in one transaction.

Everything a turn changes (conversation state, citizen records, talk log, the outbound messages,
the event's status) commits together. A crash before the commit replays the event once; a crash
after it leaves the answer in the outbox, which ``OutboxSender`` delivers exactly once.
"""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.conversation.models import ConversationState
from bot.gateway import LineError, LineGateway
from bot.inbox.models import DONE, FAILED, PENDING, InboxEvent
from bot.outbox.models import OutboundMessage
from bot.outbox.sender import OutboxSender
from bot.settings import TEST
from civic.citizens.models import Citizen, FriendshipEvent
from civic.clock import Clock
from civic.database import Database
from civic.talklog.models import TalkEntry

log = logging.getLogger(__name__)

APOLOGY = {
    "type": "text",
    "text": "申し訳ありません。ただいまシステムで問題が起きており、お返事できませんでした。"
    "お手数ですが、しばらくしてからもう一度お送りください。お急ぎの場合は役場（代表）へお電話ください。",
}


@dataclass
class Turn:
    """What a handler sees and changes. ``session`` is the turn's own transaction."""

    channel: str
    user_id: str | None
    event: dict[str, Any]
    now: datetime
    session: AsyncSession
    state: dict[str, Any]
    citizen: Citizen | None = None
    content: bytes | None = None  # the bytes of an image the citizen sent, when there is one
    replies: list[dict[str, Any]] = field(default_factory=list)
    intent: str | None = None
    flow: str | None = None

    def say(self, *messages: dict[str, Any]) -> None:
        self.replies.extend(messages)

    @property
    def event_type(self) -> str:
        return str(self.event.get("type", ""))

    @property
    def message(self) -> dict[str, Any]:
        message = self.event.get("message")
        return message if isinstance(message, dict) else {}

    @property
    def text(self) -> str | None:
        if self.event_type == "message" and self.message.get("type") == "text":
            text = self.message.get("text")
            return text if isinstance(text, str) else None
        return None

    @property
    def postback(self) -> dict[str, Any] | None:
        postback = self.event.get("postback")
        return postback if self.event_type == "postback" and isinstance(postback, dict) else None


class TurnHandler(Protocol):
    async def handle(self, turn: Turn) -> None: ...


def inbound_summary(event: dict[str, Any]) -> tuple[str, str | None]:
    """(kind, text) for the talk log."""
    kind = str(event.get("type", "unknown"))
    if kind == "message":
        message = event.get("message") if isinstance(event.get("message"), dict) else {}
        mtype = str(message.get("type", "unknown"))
        if mtype == "text":
            return "text", str(message.get("text", ""))
        if mtype == "location":
            return "location", f"{message.get('address') or message.get('title') or ''} "\
                f"({message.get('latitude')}, {message.get('longitude')})".strip()
        if mtype == "sticker":
            return "sticker", None
        return mtype, None
    if kind == "postback":
        postback = event.get("postback") if isinstance(event.get("postback"), dict) else {}
        return "postback", str(postback.get("data", ""))
    return kind, None


def outbound_text(message: dict[str, Any]) -> str | None:
    if message.get("type") == "text":
        return str(message.get("text", ""))
    return message.get("altText") or f"[{message.get('type')}]"


def _event_user(event: dict[str, Any]) -> str | None:
    source = event.get("source")
    if isinstance(source, dict) and isinstance(source.get("userId"), str):
        return source["userId"]
    return None


class TurnProcessor:
    """Called by the inbox dispatcher with an event id, one at a time per user."""

    def __init__(
        self, db: Database, clock: Clock, handler: TurnHandler, sender: OutboxSender, gateway: LineGateway
    ) -> None:
        self._db = db
        self._clock = clock
        self._handler = handler
        self._sender = sender
        self._gateway = gateway

    async def __call__(self, event_id: int) -> None:
        async with self._db.read() as session:
            row = await session.get(InboxEvent, event_id)
        if row is None or row.status != PENDING:
            return
        event = json.loads(row.payload)
        content = await self._fetch_content(row.channel, event)
        try:
            outbox = await self._run(row, event, content)
        except Exception as exc:
            log.exception("turn for inbox event %s failed", event_id)
            outbox = await self._fail(row, event, exc)
        if outbox is not None:
            await self._sender.send(outbox)

    async def _fetch_content(self, channel: str, event: dict[str, Any]) -> bytes | None:
        message = event.get("message")
        if event.get("type") != "message" or not isinstance(message, dict) or message.get("type") != "image":
            return None
        provider = message.get("contentProvider") or {}
        if isinstance(provider, dict) and provider.get("type", "line") != "line":
            return None
        try:
            return await self._gateway.message_content(channel, str(message.get("id")))
        except LineError as exc:
            log.warning("could not download image %s: %s", message.get("id"), exc)
            return None

    async def _run(self, row: InboxEvent, event: dict[str, Any], content: bytes | None) -> OutboundMessage | None:
        now = self._clock.now()
        user_id = _event_user(event)
        async with self._db.write() as session:
            current = await session.get(InboxEvent, row.id)
            if current is None or current.status != PENDING:
                return None  # finished meanwhile (another worker); nothing to do twice
            state_row = await session.get(ConversationState, user_id) if user_id else None
            state = json.loads(state_row.data) if state_row else {}
            citizen = await self._citizen(session, row.channel, user_id, event, now) if user_id else None
            turn = Turn(row.channel, user_id, event, now, session, state, citizen, content)
            kind, text = inbound_summary(event)
            await self._handler.handle(turn)
            if user_id and kind not in {"follow", "unfollow"}:
                session.add(TalkEntry(channel_user_id=user_id, direction="in", kind=kind, text=text,
                                      intent=turn.intent, flow=turn.flow, at=now))
            outbox = self._outbox(row, event, turn, now)
            if outbox is not None:
                session.add(outbox)
            if user_id:
                if state_row is None:
                    session.add(ConversationState(channel_user_id=user_id, data=json.dumps(turn.state,
                                                  ensure_ascii=False), updated_at=now))
                else:
                    state_row.data = json.dumps(turn.state, ensure_ascii=False)
                    state_row.updated_at = now
                    session.add(state_row)
            current.status, current.done_at, current.attempts = DONE, now, current.attempts + 1
            session.add(current)
        return outbox

    def _outbox(self, row: InboxEvent, event: dict[str, Any], turn: Turn, now: datetime) -> OutboundMessage | None:
        if not turn.replies or not turn.user_id:
            return None
        messages = turn.replies[:5]
        if len(turn.replies) > 5:
            log.error("turn produced %d messages; LINE accepts 5, the rest were dropped", len(turn.replies))
        for message in messages:
            if outbound_text(message) is not None:
                turn.session.add(TalkEntry(channel_user_id=turn.user_id, direction="out",
                                           kind=str(message.get("type")), text=outbound_text(message),
                                           intent=turn.intent, flow=turn.flow, at=now))
        token = event.get("replyToken") if isinstance(event.get("replyToken"), str) else None
        return OutboundMessage(
            inbox_event_id=row.id, channel=row.channel, to=turn.user_id, reply_token=token,
            token_issued_at=row.received_at if token else None,
            retry_key=str(uuid.uuid4()), messages=json.dumps(messages, ensure_ascii=False), created_at=now,
        )

    async def _citizen(self, session: AsyncSession, channel: str, user_id: str, event: dict[str, Any],
                       now: datetime) -> Citizen:
        citizen = (await session.exec(select(Citizen).where(Citizen.channel_user_id == user_id))).first()
        if citizen is None:
            citizen = Citizen(channel_user_id=user_id, created_at=now, is_test_account=channel == TEST,
                              followed_at=now if event.get("type") == "follow" else None)
            session.add(citizen)
            await session.flush()
        kind = event.get("type")
        if kind in {"follow", "unfollow"}:
            citizen.is_friend = kind == "follow"
            if kind == "follow":
                citizen.followed_at = now
            else:
                citizen.unfollowed_at = now
            session.add(citizen)
            session.add(FriendshipEvent(citizen_id=citizen.id, kind=kind, at=now))
        return citizen

    async def _fail(self, row: InboxEvent, event: dict[str, Any], exc: Exception) -> OutboundMessage | None:
        """The handler failed: never silence — the event is closed as failed with an apology."""
        now = self._clock.now()
        user_id = _event_user(event)
        async with self._db.write() as session:
            current = await session.get(InboxEvent, row.id)
            if current is None or current.status != PENDING:
                return None
            current.status, current.error = FAILED, f"{type(exc).__name__}: {exc}"[:2000]
            current.attempts += 1
            current.done_at = now
            session.add(current)
            if not user_id or event.get("type") not in {"message", "postback"}:
                return None
            token = event.get("replyToken") if isinstance(event.get("replyToken"), str) else None
            outbox = OutboundMessage(
                inbox_event_id=row.id, channel=row.channel, to=user_id, reply_token=token,
                token_issued_at=row.received_at if token else None, retry_key=str(uuid.uuid4()),
                messages=json.dumps([APOLOGY], ensure_ascii=False), created_at=now,
            )
            session.add(outbox)
            session.add(TalkEntry(channel_user_id=user_id, direction="out", kind="text", text=APOLOGY["text"],
                                  at=now))
        return outbox


