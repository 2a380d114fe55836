"""Web chat (酒田市 spec 第5章 1(6): the town's website answers exactly as LINE does).

``create_webchat_app(handler, db, clock)`` is an aiohttp sub-app (mount at ``/liff/webchat``; the
composition root ``bot.service`` passes the service's dialogue handler, built before start):

* ``GET /`` — the chat page (static HTML/JS/CSS, no inline script: a strict CSP holds);
* ``GET /embed.js`` — one ``<script src=…/embed.js>`` on the town's site adds a chat button that
  opens the page in an iframe;
* ``POST /api/messages`` ``{"session", "text" | "postback"}`` → ``{"session", "messages", "handover"}`` — the
  same ``DialogueHandler`` as LINE answers, with the same message objects (the page renders text,
  quick replies and Flex bubbles/carousels); ``handover``: a hand-over to staff is open;
* ``GET /api/handover?session=…&after=…`` — staff replies while a hand-over is open (有人チャット,
  ``liff.webchat.handover``: the page asks every few seconds; there is no push to a web page).

A browser session is an anonymous random id (kept in the page's localStorage); its conversation
state lives in ``conversation_state`` under ``web:<id>`` like a LINE user's, so flows work the same:
each message is one turn through the conversation core (``conversation.loop.TurnBatch``, the loop
LINE's turn worker uses), in its own write transaction. This package never imports ``bot/``.
Requests of one session are handled one at a time; sessions and addresses are rate-limited (the
address is the client's behind the town's trusted proxies: ``bot.app.client_address_middleware`` rewrites ``request.remote``).
"""

from __future__ import annotations

import asyncio
import json
import re
import secrets
import time
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

from aiohttp import web

from civic.clock import Clock
from civic.database import Database
from civic.inputs import loads_json
from civic.locks import in_transaction
from civic.ratelimit import RateLimit, SharedRateLimit
from conversation.events import parse_event
from conversation.loop import TurnBatch, prepare
from conversation.turn import Message, TurnHandler
from liff.page import with_maintenance_banner
from liff.webchat import handover

STATIC = Path(__file__).with_name("static")
CHANNEL = "web"
MAX_TEXT = 500
_SESSION = re.compile(r"^[0-9a-f]{32}$")


def _error(status: int, code: str, message: str, field_: str | None = None) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message, "field": field_}}, status=status,
                             dumps=lambda o: json.dumps(o, ensure_ascii=False))


def create_webchat_app(handler: Any, db: Database, clock: Clock, *,
                       title: str = "よくある質問 チャット", per_session_per_minute: int = 20,
                       per_address_per_minute: int = 120, shared: bool = False) -> web.Application:
    """``handler``: a ``DialogueHandler`` (``handle(turn)``, optionally ``prepare(event)``).
    ``shared``: several instances serve the chat (``INSTANCE_MODE=shared``): the limits are counted
    in the database and a session's turns are one at a time across instances, not only here."""
    app = web.Application(client_max_size=16 * 1024)
    locks: dict[str, asyncio.Lock] = {}
    sessions: RateLimit | SharedRateLimit
    addresses: RateLimit | SharedRateLimit
    polls: RateLimit | SharedRateLimit  # the page asks for staff replies every 3 s during a hand-over
    if shared:
        sessions = SharedRateLimit(db, "webchat.session", per_session_per_minute)
        addresses = SharedRateLimit(db, "webchat.address", per_address_per_minute)
        polls = SharedRateLimit(db, "webchat.poll", per_address_per_minute)
    else:
        sessions, addresses = RateLimit(per_session_per_minute), RateLimit(per_address_per_minute)
        polls = RateLimit(per_address_per_minute)
    page = with_maintenance_banner((STATIC / "index.html").read_text(encoding="utf-8").replace("{{title}}", title))
    csp = ("default-src 'self'; img-src 'self' data: https: http:; style-src 'self'; script-src 'self'; "
           "connect-src 'self'; frame-ancestors *")

    async def index(_: web.Request) -> web.Response:
        return web.Response(text=page, content_type="text/html", charset="utf-8",
                            headers={"Content-Security-Policy": csp, "Cache-Control": "no-store",
                                     "X-Content-Type-Options": "nosniff"})

    async def embed(request: web.Request) -> web.StreamResponse:
        return web.FileResponse(STATIC / "embed.js", headers={"Cache-Control": "public, max-age=3600"})

    async def messages(request: web.Request) -> web.Response:
        try:
            body = loads_json(await request.read())
        except ValueError:
            return _error(400, "invalid_json", "リクエスト本文が正しい JSON ではありません。")
        if not isinstance(body, dict):
            return _error(400, "invalid_json", "リクエスト本文はオブジェクトにしてください。")
        text, data = body.get("text"), body.get("postback")
        if (text is None) == (data is None):
            return _error(422, "invalid_input", "text か postback のどちらか一方を送ってください。", "text")
        if text is not None and (not isinstance(text, str) or not text.strip() or len(text) > MAX_TEXT):
            return _error(422, "invalid_text", f"メッセージは1〜{MAX_TEXT}文字で入力してください。", "text")
        if data is not None and (not isinstance(data, str) or not data or len(data) > 300):
            return _error(422, "invalid_postback", "ボタンの情報が正しくありません。", "postback")
        sid = body.get("session")
        if not isinstance(sid, str) or not _SESSION.match(sid):
            sid = secrets.token_hex(16)
        moment = time.time() if shared else time.monotonic()  # instances agree on the wall clock only
        if not await addresses.admit(request.remote or "-", moment) or not await sessions.admit(sid, moment):
            return _error(429, "too_many_requests", "短い間にたくさん送信されました。少し待ってからお試しください。")
        if text is not None:
            event = {"type": "message", "webhookEventId": uuid.uuid4().hex,
                     "message": {"type": "text", "id": uuid.uuid4().hex, "text": text}}
        else:
            assert data is not None  # exactly one of text and postback is set (checked above)
            event = {"type": "postback", "webhookEventId": uuid.uuid4().hex, "postback": {"data": data}}
        user = f"{CHANNEL}:{sid}"
        lock = locks.setdefault(sid, asyncio.Lock())
        async with lock:
            replies = await _turn(handler, db, clock.now(), user, event)
        if not lock.locked() and len(locks) > 5000:
            locks.pop(sid, None)
        return web.json_response({"session": sid, "messages": replies, "handover": await handover.is_open(db, user)},
                                 dumps=lambda o: json.dumps(o, ensure_ascii=False),
                                 headers={"Cache-Control": "no-store"})

    async def staff_replies(request: web.Request) -> web.Response:
        sid, raw = request.query.get("session", ""), request.query.get("after", "0")
        if not _SESSION.match(sid) or not raw.isdigit() or len(raw) > 10:
            return _error(422, "invalid_input", "session と after を正しく指定してください。", "session")
        if not await polls.admit(request.remote or "-", time.monotonic()):
            return _error(429, "too_many_requests", "短い間にたくさん問い合わせがありました。少し待ってからお試しください。")
        return web.json_response(await handover.updates(db, f"{CHANNEL}:{sid}", int(raw)),
                                 dumps=lambda o: json.dumps(o, ensure_ascii=False), headers={"Cache-Control": "no-store"})

    app.router.add_get("/", index)
    app.router.add_get("/embed.js", embed)
    app.router.add_static("/static", STATIC)
    app.router.add_post("/api/messages", messages)
    app.router.add_get("/api/handover", staff_replies)
    return app


async def _turn(handler: TurnHandler, db: Database, now: datetime, user: str, event: dict[str, Any]) -> list[Message]:
    """One turn through the conversation core, as LINE's turn worker runs it (``conversation.loop``)."""
    inbound = parse_event(event)
    prepared = await prepare(handler, inbound)  # outside the write lock
    async with db.write() as session:
        # One turn of a session at a time on every instance (PostgreSQL; SQLite writes are serial).
        await in_transaction(session, f"webchat:{user}")
        batch = TurnBatch(session, now)
        await batch.load_states({user})
        replies = await batch.run(handler, batch.turn(CHANNEL, user, event, inbound, prepared=prepared))
        await batch.save()
    return replies
