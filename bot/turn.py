"""One turn: an inbox event in, the citizen's state updated, answers out — in one transaction.

Everything a turn changes (conversation state, citizen records, talk log, the outbound messages,
the event's status) commits together. A crash before the commit replays the event once; a crash
after it leaves the answer in the outbox, which ``OutboxSender`` delivers exactly once.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

import sqlalchemy as sa
from sqlmodel import col, select
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
    #: What the handler's ``prepare`` computed for this event outside the transaction (e.g. NLU).
    prepared: Any = None
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
    """Handles one turn inside the turn's transaction.

    A handler may also define ``async def prepare(self, event: dict) -> Any``: it runs before the
    transaction, outside the database's write lock, for work that needs no database (parsing the
    text); its result arrives as ``turn.prepared``.
    """

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
    """Called by the inbox dispatcher with a batch of event ids, at most one per user.

    The batch's turns run in one write transaction (group commit). If any turn fails, the
    transaction is rolled back and the turns are run again one by one, so one failing turn closes
    only its own event (as failed, with an apology) and never blocks the others.
    """

    def __init__(
        self, db: Database, clock: Clock, handler: TurnHandler, sender: OutboxSender, gateway: LineGateway
    ) -> None:
        self._db = db
        self._clock = clock
        self._handler = handler
        self._sender = sender
        self._gateway = gateway

    async def __call__(self, event_ids: list[int]) -> None:
        async with self._db.read() as session:
            rows = list((await session.exec(
                select(InboxEvent).where(col(InboxEvent.id).in_(event_ids), InboxEvent.status == PENDING)
                .order_by(col(InboxEvent.id))
            )).all())
        if not rows:
            return
        events = {row.id: json.loads(row.payload) for row in rows}
        contents = dict(zip(
            [row.id for row in rows],
            await asyncio.gather(*(self._fetch_content(row.channel, events[row.id]) for row in rows)),
            strict=True,
        ))
        prepare = getattr(self._handler, "prepare", None)
        prepared: dict[Any, Any] = {}
        if prepare is not None:
            for row in rows:
                try:
                    prepared[row.id] = await prepare(events[row.id])
                except Exception:
                    log.exception("preparing inbox event %s failed; the turn runs without it", row.id)
        try:
            outboxes = await self._run(rows, events, contents, prepared)
        except Exception:
            if len(rows) == 1:
                log.exception("turn for inbox event %s failed", rows[0].id)
                outboxes = [await self._fail(rows[0], events[rows[0].id], sys.exc_info()[1])]
            else:
                log.warning("a turn in a batch of %d failed; running them one by one", len(rows))
                outboxes = []
                for row in rows:
                    try:
                        outboxes += await self._run([row], events, contents, prepared)
                    except Exception as exc:
                        log.exception("turn for inbox event %s failed", row.id)
                        outboxes.append(await self._fail(row, events[row.id], exc))
        await asyncio.gather(*(self._sender.send(o) for o in outboxes if o is not None))

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

    async def _run(self, rows: list[InboxEvent], events: dict[Any, dict[str, Any]],
                   contents: dict[Any, bytes | None], prepared: dict[Any, Any]) -> list[OutboundMessage]:
        now = self._clock.now()
        outboxes: list[OutboundMessage] = []
        async with self._db.write() as session:
            ids = [row.id for row in rows]
            pending = set((await session.exec(
                select(InboxEvent.id).where(col(InboxEvent.id).in_(ids), InboxEvent.status == PENDING)
            )).all())
            rows = [row for row in rows if row.id in pending]  # others finished meanwhile
            if not rows:
                return []
            users = {u for row in rows if (u := _event_user(events[row.id]))}
            states = {s.channel_user_id: s for s in (await session.exec(
                select(ConversationState).where(col(ConversationState.channel_user_id).in_(users))
            )).all()} if users else {}
            citizens = await self._citizens(session, rows, events, users, now)
            for row in rows:
                event = events[row.id]
                user_id = _event_user(event)
                state_row = states.get(user_id) if user_id else None
                state = json.loads(state_row.data) if state_row else {}
                turn = Turn(row.channel, user_id, event, now, session, state,
                            citizens.get(user_id) if user_id else None, contents.get(row.id),
                            prepared.get(row.id))
                kind, text = inbound_summary(event)
                await self._handler.handle(turn)
                if user_id and kind not in {"follow", "unfollow"}:
                    session.add(TalkEntry(channel_user_id=user_id, direction="in", kind=kind, text=text,
                                          intent=turn.intent, flow=turn.flow, at=now))
                outbox = self._outbox(row, event, turn, now)
                if outbox is not None:
                    session.add(outbox)
                    outboxes.append(outbox)
                if user_id:
                    data = json.dumps(turn.state, ensure_ascii=False)
                    if state_row is None:
                        states[user_id] = ConversationState(channel_user_id=user_id, data=data, updated_at=now)
                        session.add(states[user_id])
                    elif state_row.data != data:
                        state_row.data, state_row.updated_at = data, now
                        session.add(state_row)
            await session.flush()
            table = InboxEvent.__table__  # type: ignore[attr-defined]
            await (await session.connection()).execute(
                sa.update(table).where(table.c.id.in_([row.id for row in rows]))
                .values(status=DONE, done_at=now, attempts=table.c.attempts + 1)
            )
        return outboxes

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

    async def _citizens(self, session: AsyncSession, rows: list[InboxEvent], events: dict[Any, dict[str, Any]],
                        users: set[str], now: datetime) -> dict[str, Citizen]:
        """The batch's citizens, created on first contact; follow/unfollow recorded in order."""
        if not users:
            return {}
        citizens = {c.channel_user_id: c for c in (await session.exec(
            select(Citizen).where(col(Citizen.channel_user_id).in_(users))
        )).all()}
        channel_of = {_event_user(events[row.id]): row.channel for row in rows}
        new = [Citizen(channel_user_id=u, created_at=now, is_test_account=channel_of.get(u) == TEST)
               for u in sorted(users - set(citizens))]
        if new:
            session.add_all(new)
            await session.flush()
            citizens.update({c.channel_user_id: c for c in new})
        for row in rows:
            event = events[row.id]
            kind, user_id = event.get("type"), _event_user(event)
            if kind not in {"follow", "unfollow"} or user_id is None:
                continue
            citizen = citizens[user_id]
            citizen.is_friend = kind == "follow"
            if kind == "follow":
                citizen.followed_at = now
            else:
                citizen.unfollowed_at = now
            session.add(citizen)
            session.add(FriendshipEvent(citizen_id=citizen.id, kind=kind, at=now))
        return citizens

    async def _fail(self, row: InboxEvent, event: dict[str, Any], exc: BaseException | None) -> OutboundMessage | None:
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
