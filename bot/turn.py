"""One turn: an inbox event in, the citizen's state updated, answers out — in one transaction.

Everything a turn changes (conversation state, citizen records, talk log, the outbound messages,
the event's outcome) commits together. A crash before the commit replays the event once; a crash
after it leaves the answer in the outbox, which ``OutboxSender`` delivers exactly once.

This is LINE's edge of the conversation core (``conversation``): each webhook event is parsed
once into an ``InboundEvent`` here, and the turns run through ``conversation.loop.TurnBatch`` —
the same loop the web chat uses. Around it, what only LINE has: claiming the inbox event,
citizens and friendship, group chats, 送信取消, the outbox and reply tokens.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import uuid
from collections.abc import Awaitable, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.gateway import LineError, LineGateway
from bot.group_chats import GroupPolicy, Leave
from bot.inbox.models import DONE, FAILED, InboxOutcome
from bot.inbox.writer import Accepted
from bot.logs import bound_request_id
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
from conversation.events import InboundEvent, parse_event
from conversation.loop import TurnBatch, prepare
from conversation.turn import Turn, TurnHandler, outbound_text

__all__ = ["APOLOGY", "HandlerWrapper", "Turn", "TurnHandler", "TurnProcessor", "outbound_text"]

log = logging.getLogger(__name__)

APOLOGY = {
    "type": "text",
    "text": "申し訳ありません。ただいまシステムで問題が起きており、お返事できませんでした。"
    "お手数ですが、しばらくしてからもう一度お送りください。お急ぎの場合は役場（代表）へお電話ください。",
}


class HandlerWrapper:
    """A handler in front of another: keeps the inner one's ``prepare`` (the NLU, outside the transaction)."""

    def __init__(self, inner: TurnHandler) -> None:
        self.inner = inner
        self.prepare = getattr(inner, "prepare", None) or self._no_prepare

    @staticmethod
    async def _no_prepare(event: dict[str, Any]) -> None:
        return None

    async def handle(self, turn: Turn) -> None:
        await self.inner.handle(turn)


def _reply_token(turn: Turn) -> str | None:
    """The reply token, read after the handler ran (a handler may drop it to answer by push)."""
    token = turn.event.get("replyToken")
    return token if isinstance(token, str) else None


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
        skipped inside the transaction. Records logged meanwhile carry the ids of the webhook requests
        that brought the events (each event's own where one event is handled)."""
        if not rows:
            return None
        with bound_request_id(*(row.request_id for row in rows)):
            return await self._turns(rows)

    async def _turns(self, rows: list[Accepted]) -> Awaitable[Any] | None:
        events = {row.id: json.loads(row.payload) for row in rows}
        inbound = {key: parse_event(event) for key, event in events.items()}  # parsed once, here
        contents = dict(zip(
            [row.id for row in rows],
            await asyncio.gather(*(self._fetch_content(row.channel, inbound[row.id]) for row in rows)),
            strict=True,
        ))
        prepared: dict[Any, Any] = {}
        for row in rows:
            try:
                with bound_request_id(row.request_id):
                    prepared[row.id] = await prepare(self._handler, inbound[row.id])
            except Exception:
                with bound_request_id(row.request_id):
                    log.exception("preparing inbox event %s failed; the turn runs without it", row.id)
        try:
            outboxes: list[Outgoing | Leave | OutboundMessage | None] = [
                *await self._run(rows, events, inbound, contents, prepared)]
        except Exception:
            if len(rows) == 1:
                log.exception("turn for inbox event %s failed", rows[0].id)
                outboxes = [await self._fail(rows[0], inbound[rows[0].id], sys.exc_info()[1])]
            else:
                log.warning("a turn in a batch of %d failed; running them one by one", len(rows))
                outboxes = []
                for row in rows:
                    with bound_request_id(row.request_id):
                        try:
                            outboxes += await self._run([row], events, inbound, contents, prepared)
                        except Exception as exc:
                            log.exception("turn for inbox event %s failed", row.id)
                            outboxes.append(await self._fail(row, inbound[row.id], exc))
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

    async def _fetch_content(self, channel: str, event: InboundEvent) -> bytes | None:
        if not event.has_content:
            return None
        try:
            return await self._gateway.message_content(channel, str(event.message_id))
        except LineError as exc:
            log.warning("could not download image %s: %s", event.message_id, exc)
            return None

    async def _run(self, rows: list[Accepted], events: dict[Any, dict[str, Any]], inbound: dict[Any, InboundEvent],
                   contents: dict[Any, bytes | None], prepared: dict[Any, Any]) -> list[Outgoing | Leave]:
        """Run the batch's turns in one transaction (``conversation.loop.TurnBatch`` writes the talk
        log and the states); around them, what only LINE has: the events' outcomes, citizens,
        group chats, 送信取消 and the outbox. The rows are written with bulk Core statements:
        building ORM objects for them cost more than the turn itself."""
        now = self._clock.now()
        outbox: list[dict[str, Any]] = []
        leaves: list[Leave] = []
        unsent: list[tuple[str, str]] = []
        async with self._db.write() as session:
            conn = await session.connection()
            # Claiming the events' outcomes first: the primary key lets one transaction claim an
            # event; one finished meanwhile (announced twice, another worker) is skipped.
            claimed = set((await conn.execute(
                self._claim, [{"event_id": row.id, "status": DONE, "done_at": now} for row in rows]
            )).scalars())
            rows = [row for row in rows if row.id in claimed]
            if not rows:
                return []
            batch = TurnBatch(session, now)
            users = {u for row in rows if (u := inbound[row.id].user_id)}
            await batch.load_states(users)
            citizens = await self._citizens(session, rows, inbound, users, now)
            for row in rows:
                event = inbound[row.id]
                user_id = event.user_id
                turn = batch.turn(row.channel, user_id, events[row.id], event,
                                  citizen=citizens.get(user_id) if user_id else None, content=contents.get(row.id),
                                  prepared=prepared.get(row.id))
                if event.chat is not None:  # a group or room: never the dialogues (bot.group_chats)
                    messages, leave = self._groups.answer(event.type)
                    turn.say(*messages)
                    if leave:
                        leaves.append(Leave(row.channel, *event.chat))
                    self._answer(row, turn, batch.replies(turn), now, outbox, to=event.chat[1])
                    continue
                with bound_request_id(row.request_id):
                    replies = await batch.run(self._handler, turn)
                if user_id and event.unsent_id:
                    unsent.append((user_id, event.unsent_id))
                self._answer(row, turn, replies, now, outbox, to=user_id)
            await batch.save()
            for user_id, message_id in unsent:  # LINE's 送信取消: the text leaves the talk log
                await forget_message(session, user_id, message_id)
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

    @staticmethod
    def _answer(row: Accepted, turn: Turn, messages: list[dict[str, Any]], now: datetime,
                outbox: list[dict[str, Any]], *, to: str | None) -> None:
        """The turn's replies into the outbox, to the citizen (or the group or room of the event)."""
        if not messages or not to:
            return
        token = _reply_token(turn)
        outbox.append({
            "inbox_event_id": row.id, "channel": row.channel, "to": to, "reply_token": token,
            "token_issued_at": row.received_at if token else None, "retry_key": str(uuid.uuid4()),
            "messages": json.dumps(messages, ensure_ascii=False), "status": "pending", "attempts": 0,
            "created_at": now, "next_attempt_at": None,
        })

    async def _citizens(self, session: AsyncSession, rows: list[Accepted], events: dict[Any, InboundEvent],
                        users: set[str], now: datetime) -> dict[str, Citizen]:
        """The batch's citizens, created on first contact; follow/unfollow recorded in order."""
        if not users:
            return {}
        citizens = {c.channel_user_id: c for c in (await session.exec(
            select(Citizen).where(col(Citizen.channel_user_id).in_(users))
        )).all()}
        channel_of = {events[row.id].user_id: row.channel for row in rows}
        new = [Citizen(channel_user_id=u, created_at=now, is_test_account=channel_of.get(u) == TEST)
               for u in sorted(users - set(citizens))]
        if new:
            session.add_all(new)
            await session.flush()
            citizens.update({c.channel_user_id: c for c in new})
        for row in rows:
            kind, user_id = events[row.id].type, events[row.id].user_id
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

    async def _fail(self, row: Accepted, event: InboundEvent, exc: BaseException | None) -> OutboundMessage | None:
        """The handler failed: never silence — the event is closed as failed with an apology."""
        now = self._clock.now()
        user_id = event.user_id
        async with self._db.write() as session:
            claimed = (await (await session.connection()).execute(self._claim, [{
                "event_id": row.id, "status": FAILED, "done_at": now, "error": f"{type(exc).__name__}: {exc}"[:2000],
            }])).scalars().all()
            if not claimed:  # finished meanwhile (announced twice, another worker)
                return None
            if not user_id or event.type not in {"message", "postback"}:
                return None
            token = event.reply_token
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
