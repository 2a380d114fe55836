"""The live view of hand-overs (有人チャット, issue #17): server-sent events for the console.

``EventSource`` cannot send the console's bearer token, and the long-lived token must never be in
a URL (access logs, proxies, browser history). So the console first asks for a *stream ticket*
(``POST /handovers/stream-ticket``, with its token as usual): a short-lived (60 s) ticket signed
with the service's stream key (derived from the data key: every instance accepts it), naming the
staff member's session. ``GET /handovers/events?ticket=…`` checks the signature, the time and that
the session is still valid with the ``handovers.answer`` permission, then streams:

* ``ready`` ``{"seen": N}`` once subscribed (the console reads what it missed after this),
* ``message`` ``{"handover": id, "last": message id}``: new messages in a conversation,
* ``inbox`` ``{}``: the list of open hand-overs changed,
* a comment every 15 s (keeps proxies from closing it); the session is checked again every minute.

The events carry ids only, never what anyone wrote: the console reads the messages through the API
(``GET /handovers/{id}/messages?after=``) under the caller's permission. Where the changes come
from: ``civic.handover.feed`` (the database, so the turn worker's and other instances' writes too).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import json
import secrets
import time
from datetime import datetime, timedelta

from aiohttp import web
from pydantic import BaseModel, Field
from sqlmodel import col, select

from admin_api.errors import ApiError
from admin_api.routing import ApiRouter, Call
from civic.clock import Clock
from civic.database import Database
from civic.handover.feed import Change
from civic.staff import two_factor
from civic.staff.models import StaffAccount, StaffRole, StaffSession
from civic.staff.permissions import grants
from civic.staff.roles import permissions_of

PERMISSION = "handovers.answer"
TICKET_SECONDS = 60
HEARTBEAT_SECONDS = 15.0
RECHECK_SECONDS = 60.0
router = ApiRouter("handovers")
_PROCESS_KEY = secrets.token_bytes(32)


class TicketOut(BaseModel):
    ticket: str = Field(description="GET /handovers/events?ticket= に渡す（60秒有効、1回の接続に使う）")
    expires_at: datetime
    url: str = Field(description="イベントストリームの URL（EventSource で開く）")


class EventsQuery(BaseModel):
    ticket: str = Field(min_length=10, max_length=200)


def stream_key(data_key: bytes) -> bytes:
    """The key every instance of one service signs and checks tickets with (from its data key)."""
    return hmac.new(data_key, b"madoguchi handover stream tickets", hashlib.sha256).digest()


def _key(call: Call) -> bytes:
    return call.ctx.stream_key or _PROCESS_KEY


def _sign(key: bytes, payload: str) -> str:
    return base64.urlsafe_b64encode(hmac.new(key, payload.encode(), hashlib.sha256).digest()[:24]).decode().rstrip("=")


def issue(key: bytes, staff_id: int, session_id: int, expires: int) -> str:
    payload = f"{staff_id}.{session_id}.{expires}"
    return f"{payload}.{_sign(key, payload)}"


def verify(key: bytes, ticket: str, now: float) -> tuple[int, int] | None:
    """(staff id, session id) of a genuine ticket still in time; None otherwise."""
    payload, _, signature = ticket.rpartition(".")
    parts = payload.split(".")
    if len(parts) != 3 or not all(p.isdigit() for p in parts) or not hmac.compare_digest(signature, _sign(key, payload)):
        return None
    staff_id, session_id, expires = (int(p) for p in parts)
    return (staff_id, session_id) if now <= expires else None


async def session_allows(db: Database, clock: Clock, staff_id: int, session_id: int) -> bool:
    """The staff session is valid now and its role may answer hand-overs."""
    async with db.read() as s:
        row = (await s.exec(select(StaffSession, StaffAccount, StaffRole)
                            .join(StaffAccount, col(StaffAccount.id) == col(StaffSession.staff_id))
                            .join(StaffRole, col(StaffRole.id) == col(StaffAccount.role_id))
                            .where(StaffSession.id == session_id, StaffSession.staff_id == staff_id))).first()
    if row is None:
        return False
    session, account, role = row
    permissions = frozenset() if two_factor.must_enrol(account, role) else frozenset(permissions_of(role))
    return (session.revoked_at is None and session.expires_at > clock.now() and account.active
            and (PERMISSION in permissions or grants(permissions, PERMISSION)))


@router.route("POST", "/handovers/stream-ticket", summary="有人チャットのライブ更新（SSE）用の短時間チケット",
              permission=PERMISSION, response=TicketOut, status=201,
              description="EventSource はヘッダーを送れないため、ログインのトークンの代わりに URL に付ける"
                          "60秒有効の署名付きチケットを発行します（トークンを URL に載せないため）。")
async def stream_ticket(call: Call) -> TicketOut:
    principal = call.principal
    if principal is None or principal.session_id is None:
        raise ApiError(403, "forbidden", "ログインのセッションでのみ使えます。")
    expires = int(time.time()) + TICKET_SECONDS
    ticket = issue(_key(call), principal.staff_id, principal.session_id, expires)
    async with call.ctx.db.write() as s:  # who opened a live view, when (never the ticket)
        await call.audit(s, "handover.stream", "handover:live", after={"session_id": principal.session_id})
    at = call.ctx.clock.now() + timedelta(seconds=TICKET_SECONDS)
    return TicketOut(ticket=ticket, expires_at=at, url=f"{call.request.path.rsplit('/', 1)[0]}/events?ticket={ticket}")


def _event(kind: str, data: dict[str, int]) -> bytes:
    return f"event: {kind}\ndata: {json.dumps(data)}\n\n".encode()


def _encode(change: Change) -> bytes:
    if change.kind == "message":
        return _event("message", {"handover": change.handover, "last": change.last})
    return _event("inbox", {})


@router.route("GET", "/handovers/events", summary="有人チャットのライブ更新（server-sent events）",
              permission=None, public=True, query=EventsQuery, produces="text/event-stream",
              errors={401: "チケットが正しくないか期限切れ（新しいチケットを取得）"},
              description="イベント: ready {seen}、message {handover, last}（新しいメッセージ）、inbox {}（一覧の変化）。"
                          "メッセージの本文は含みません（GET /handovers/{id}/messages?after= で取得）。")
async def handover_events(call: Call) -> web.StreamResponse:
    ctx = call.ctx
    who = verify(_key(call), call.query.ticket, time.time())
    if who is None or not await session_allows(ctx.db, ctx.clock, *who):
        raise ApiError(401, "invalid_ticket", "ライブ更新のチケットが正しくないか、期限が切れています。", "ticket")
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream; charset=utf-8",
                                           "Cache-Control": "no-store", "X-Accel-Buffering": "no"})
    async with ctx.handover_feed.subscribe() as changes:
        await response.prepare(call.request)
        loop = asyncio.get_running_loop()
        recheck = loop.time() + RECHECK_SECONDS
        with contextlib.suppress(ConnectionResetError):
            await response.write(b"retry: 3000\n\n" + _event("ready", {"seen": ctx.handover_feed.seen}))
            while True:
                try:
                    change = await asyncio.wait_for(changes.get(), HEARTBEAT_SECONDS)
                except TimeoutError:
                    await response.write(b": keep-alive\n\n")
                else:
                    if change is None:  # the service shuts down
                        break
                    await response.write(_encode(change))
                if loop.time() >= recheck:
                    if not await session_allows(ctx.db, ctx.clock, *who):
                        await response.write(_event("expired", {}))
                        break
                    recheck = loop.time() + RECHECK_SECONDS
    return response
