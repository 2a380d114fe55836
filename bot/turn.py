"""One turn: an inbox event in, the citizen's state updated, answers out — in one transaction.

Everything a turn changes (conversation state, citizen records, talk log, the outbound messages,
the event's outcome) commits together. A crash before the commit replays the event once; a crash
after it leaves the answer in the outbox, which ``OutboxSender`` delivers exactly once.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import uuid
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.conversation.models import ConversationState
from bot.gateway import LineError, LineGateway
from bot.group_chats import GroupPolicy, Leave, chat_of
from bot.inbox.models import DONE, FAILED, InboxOutcome
from bot.inbox.writer import Accepted
from bot.outbox.backlog import waiting_recipients
from bot.outbox.models import OutboundMessage, Outgoing
from bot.outbox.sender import OutboxSender
from bot.settings import TEST
from civic.citizens.models import Citizen, FriendshipEvent
from civic.clock import Clock
from civic.database import Database
from civic.rows import pk, table_of
from civic.talklog.models import TalkEntry
from civic.talklog.services import forget_message

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
        message = event.get("message")
        if not isinstance(message, dict):
            message = {}
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
        postback = event.get("postback")
        if not isinstance(postback, dict):
            postback = {}
        return "postback", str(postback.get("data", ""))
    return kind, None


def outbound_text(message: dict[str, Any]) -> str | None:
    if message.get("type") == "text":
        return str(message.get("text", ""))
    return message.get("altText") or f"[{message.get('type')}]"


def _talk(user_id: str, direction: str, kind: str, text: str | None, turn: Turn, now: datetime,
          message_id: str | None = None) -> dict[str, Any]:
    return {"channel_user_id": user_id, "direction": direction, "kind": kind, "text": text,
            "intent": turn.intent, "flow": turn.flow, "at": now, "message_id": message_id}


def _event_user(event: dict[str, Any]) -> str | None:
    """The citizen of a one-to-one chat. Events from groups and rooms have none: they never touch
    a citizen's state, records or talk log (``bot.group_chats``)."""
    source = event.get("source")
    if isinstance(source, dict) and source.get("type", "user") == "user" and isinstance(source.get("userId"), str):
        return source["userId"]
    return None


def _message_id(event: dict[str, Any]) -> str | None:
    message = event.get("message")
    value = message.get("id") if event.get("type") == "message" and isinstance(message, dict) else None
    return str(value)[:64] if value is not None else None


def _unsent_id(event: dict[str, Any]) -> str | None:
    unsend = event.get("unsend")
    value = unsend.get("messageId") if event.get("type") == "unsend" and isinstance(unsend, dict) else None
    return str(value)[:64] if value is not None else None


class TurnProcessor:
    """Called by the inbox dispatcher with a batch of event ids, at most one per user.

    The batch's turns run in one write transaction (group commit). If any turn fails, the
    transaction is rolled back and the turns are run again one by one, so one failing turn closes
    only its own event (as failed, with an apology) and never blocks the others.
    """

    def __init__(
        self, db: Database, clock: Clock, handler: TurnHandler, sender: OutboxSender, gateway: LineGateway,
        groups: GroupPolicy | None = None,
    ) -> None:
        self._db = db
        self._clock = clock
        self._handler = handler
        self._sender = sender
        self._gateway = gateway
        self._groups = groups or GroupPolicy()
        outcomes = table_of(InboxOutcome)
        self._claim = ((sqlite if db.is_sqlite else postgresql).insert(outcomes)
                       .on_conflict_do_nothing(index_elements=[outcomes.c.event_id]).returning(outcomes.c.event_id))

    async def __call__(self, rows: list[Accepted]) -> Awaitable[Any] | None:
        """Run the turns of ``rows`` (at most one per user) and start sending their answers; returns
        once the turns are committed, with the sending to await (None when nothing is sent). An
        event that already has an outcome (announced twice, or finished by another worker) is
        skipped inside the transaction."""
        if not rows:
            return None
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
            outboxes: list[Outgoing | Leave | OutboundMessage | None] = [
                *await self._run(rows, events, contents, prepared)]
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
        leaves = [o for o in outboxes if isinstance(o, Leave)]
        sends = [self._sender.send(o) for o in outboxes if o is not None and not isinstance(o, Leave)]
        if leaves:
            return self._send_then_leave(sends, leaves)
        return asyncio.gather(*sends) if sends else None

    async def _send_then_leave(self, sends: Sequence[Awaitable[Any]], leaves: list[Leave]) -> None:
        """A group's notice first, then the account leaves (a failure is logged: the next event
        from that group makes it leave again)."""
        await asyncio.gather(*sends)
        for leave in leaves:
            try:
                await self._gateway.leave_chat(leave.channel, leave.kind, leave.chat_id)
            except LineError as exc:
                log.warning("could not leave %s %s: %s", leave.kind, leave.chat_id, exc)

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

    async def _run(self, rows: list[Accepted], events: dict[Any, dict[str, Any]],
                   contents: dict[Any, bytes | None], prepared: dict[Any, Any]) -> list[Outgoing | Leave]:
        """Run the batch's turns in one transaction. The turn loop's own rows (talk log, outbox,
        state, event status) are written with bulk Core statements: building ORM objects for
        them cost more than the turn itself."""
        now = self._clock.now()
        talk: list[dict[str, Any]] = []
        outbox: list[dict[str, Any]] = []
        saved_states: list[dict[str, Any]] = []
        leaves: list[Leave] = []
        unsent: list[tuple[str, str]] = []
        async with self._db.write() as session:
            conn = await session.connection()
            state_t = table_of(ConversationState)
            # Claiming the events' outcomes first: the primary key lets one transaction claim an
            # event; one finished meanwhile (announced twice, another worker) is skipped.
            claimed = set((await conn.execute(
                self._claim, [{"event_id": row.id, "status": DONE, "done_at": now} for row in rows]
            )).scalars())
            rows = [row for row in rows if row.id in claimed]
            if not rows:
                return []
            users = {u for row in rows if (u := _event_user(events[row.id]))}
            states: dict[str, Any] = dict((await conn.execute(
                sa.select(state_t.c.channel_user_id, state_t.c.data).where(state_t.c.channel_user_id.in_(users))
            )).all()) if users else {}
            citizens = await self._citizens(session, rows, events, users, now)
            for row in rows:
                event = events[row.id]
                user_id = _event_user(event)
                before = states.get(user_id) if user_id else None
                turn = Turn(row.channel, user_id, event, now, session, json.loads(before) if before else {},
                            citizens.get(user_id) if user_id else None, contents.get(row.id),
                            prepared.get(row.id))
                chat = chat_of(event)
                if chat is not None:  # a group or room: never the dialogues (bot.group_chats)
                    messages, leave = self._groups.answer(turn.event_type)
                    turn.say(*messages)
                    if leave:
                        leaves.append(Leave(row.channel, *chat))
                    self._answer(row, event, turn, now, talk, outbox, to=chat[1])
                    continue
                kind, text = inbound_summary(event)
                await self._handler.handle(turn)
                if user_id and kind not in {"follow", "unfollow", "unsend"}:
                    talk.append(_talk(user_id, "in", kind, text, turn, now, _message_id(event)))
                if user_id and (unsent_id := _unsent_id(event)):
                    unsent.append((user_id, unsent_id))
                self._answer(row, event, turn, now, talk, outbox, to=user_id)
                if user_id:
                    after = json.dumps(turn.state, ensure_ascii=False)
                    if after != before:
                        states[user_id] = after
                        saved_states.append({"channel_user_id": user_id, "data": after, "updated_at": now})
            await session.flush()  # what handlers added through the ORM
            if talk:
                await conn.execute(sa.insert(table_of(TalkEntry)), talk)
            for user_id, message_id in unsent:  # LINE's 送信取消: the text leaves the talk log
                await forget_message(session, user_id, message_id)
            if saved_states:
                await conn.execute(self._upsert_states(), saved_states)
            sent: list[Outgoing | Leave] = []
            if outbox:
                # A citizen with an answer still waiting for LINE gets this one queued behind it.
                waiting = await waiting_recipients(conn, {(o["channel"], o["to"]) for o in outbox})
                for o in outbox:
                    if (o["channel"], o["to"]) in waiting:
                        o["next_attempt_at"] = now
                table = table_of(OutboundMessage)
                ids: dict[str, int] = dict((await conn.execute(
                    sa.insert(table).returning(table.c.retry_key, table.c.id, sort_by_parameter_order=True),
                    outbox,
                )).all())
                sent = [Outgoing(ids[o["retry_key"]], o["channel"], o["to"], o["reply_token"],
                                 o["token_issued_at"], o["retry_key"], o["messages"], now,
                                 queued=o["next_attempt_at"] is not None) for o in outbox]
        return [*sent, *leaves]

    def _upsert_states(self) -> Any:
        table = table_of(ConversationState)
        insert = (sqlite if self._db.is_sqlite else postgresql).insert(table)
        return insert.on_conflict_do_update(
            index_elements=[table.c.channel_user_id],
            set_={"data": insert.excluded.data, "updated_at": insert.excluded.updated_at},
        )

    def _answer(self, row: Accepted, event: dict[str, Any], turn: Turn, now: datetime,
                talk: list[dict[str, Any]], outbox: list[dict[str, Any]], *, to: str | None) -> None:
        """The turn's replies into the outbox, to the citizen (or the group or room of the event)."""
        if not turn.replies or not to:
            return
        messages = turn.replies[:5]
        if len(turn.replies) > 5:
            log.error("turn produced %d messages; LINE accepts 5, the rest were dropped", len(turn.replies))
        if turn.user_id:
            for message in messages:
                talk.append(_talk(turn.user_id, "out", str(message.get("type")), outbound_text(message), turn, now))
        token = event.get("replyToken") if isinstance(event.get("replyToken"), str) else None
        outbox.append({
            "inbox_event_id": row.id, "channel": row.channel, "to": to, "reply_token": token,
            "token_issued_at": row.received_at if token else None, "retry_key": str(uuid.uuid4()),
            "messages": json.dumps(messages, ensure_ascii=False), "status": "pending", "attempts": 0,
            "created_at": now, "next_attempt_at": None,
        })

    async def _citizens(self, session: AsyncSession, rows: list[Accepted], events: dict[Any, dict[str, Any]],
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
            session.add(FriendshipEvent(citizen_id=pk(citizen), kind=kind, at=now))
        return citizens

    async def _fail(self, row: Accepted, event: dict[str, Any], exc: BaseException | None) -> OutboundMessage | None:
        """The handler failed: never silence — the event is closed as failed with an apology."""
        now = self._clock.now()
        user_id = _event_user(event)
        async with self._db.write() as session:
            claimed = (await (await session.connection()).execute(self._claim, [{
                "event_id": row.id, "status": FAILED, "done_at": now, "error": f"{type(exc).__name__}: {exc}"[:2000],
            }])).scalars().all()
            if not claimed:  # finished meanwhile (announced twice, another worker)
                return None
            if not user_id or event.get("type") not in {"message", "postback"}:
                return None
            token = event.get("replyToken") if isinstance(event.get("replyToken"), str) else None
            waiting = await waiting_recipients(await session.connection(), {(row.channel, user_id)})
            outbox = OutboundMessage(
                inbox_event_id=row.id, channel=row.channel, to=user_id, reply_token=token,
                token_issued_at=row.received_at if token else None, retry_key=str(uuid.uuid4()),
                messages=json.dumps([APOLOGY], ensure_ascii=False), created_at=now,
                next_attempt_at=now if waiting else None,
            )
            session.add(outbox)
            session.add(TalkEntry(channel_user_id=user_id, direction="out", kind="text", text=APOLOGY["text"],
                                  at=now))
        return outbox
