"""The spine's own HTTP handlers, which the composition root (``bot.service``) mounts: the client
address behind trusted proxies, ``/healthz`` and the public NLU endpoint ``/api/nlu/parse``.

Nothing is built here: the app, its roles (``bot.service.Role``) and every resource are in
``bot.service``.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from bot.appkeys import CLOCK, DATABASE, DISPATCHER
from bot.outbox.backlog import outbox_backlog
from civic.client_address import TrustedProxies
from civic.clock import TOKYO, Clock
from civic.inputs import loads_json
from civic.ratelimit import RateLimit
from dialogues.services import Knowledge
from nlu.service import make_parse_handler


def client_address_middleware(proxies: TrustedProxies) -> Any:
    """Every handler (sub-apps included) sees the client behind trusted proxies as ``request.remote``."""

    @web.middleware
    async def middleware(request: web.Request, handler: Any) -> web.StreamResponse:
        forwarded = request.headers.getall("X-Forwarded-For", [])
        if forwarded:
            client = proxies.client_of(request.remote, forwarded)
            if client is not None and client != request.remote:  # None only when the peer is unknown
                request = request.clone(remote=client)
        return await handler(request)

    return middleware


async def healthz(request: web.Request) -> web.Response:
    """``backlog``: inbox events waiting for their turn here; ``outbox``: answers not yet delivered
    to LINE (``pending``, ``oldest_pending_seconds``)."""
    dispatcher = request.app.get(DISPATCHER)
    outbox = await outbox_backlog(request.app[DATABASE], request.app[CLOCK])
    return web.json_response({"status": "ok", "backlog": dispatcher.backlog if dispatcher else None,
                              "outbox": outbox.as_json()})


def nlu_parse_view(knowledge: Knowledge, clock: Clock, *, per_address_per_minute: int = 60) -> Any:
    """``POST /api/nlu/parse {"text"}``: Rasa's ``/model/parse`` answer from the same model as LINE,
    for the town's web pages and for staff checking the NLU (酒田市 spec 第5章 1(6)).

    Public (the town's pages call it from citizens' browsers), so each client address may ask
    ``per_address_per_minute`` times a minute; beyond that it answers 429 with ``Retry-After``."""
    class InUse:  # the model in use at each request (a console retrain swaps ``knowledge.interpreter``)
        def parse(self, text: str, *, now: Any = None) -> dict[str, Any]:
            return knowledge.interpreter.parse(text, now=now)

    handle = make_parse_handler(InUse(), clock=lambda: clock.now().astimezone(TOKYO))
    addresses = RateLimit(per_address_per_minute)

    async def view(request: web.Request) -> web.Response:
        if not addresses.allow(request.remote or "-", clock.now().timestamp()):
            return web.json_response(
                {"error": {"field": "", "message": "短い時間に多くの解析が依頼されました。1分ほど待ってからお試しください。"}},
                status=429, headers={"Retry-After": "60"}, dumps=lambda o: json.dumps(o, ensure_ascii=False))
        try:
            body = loads_json(await request.read())
        except ValueError:
            body = None
        status, answer = handle(body)
        return web.json_response(answer, status=status, dumps=lambda o: json.dumps(o, ensure_ascii=False))

    return view
