"""linesim's own API for tests and benchmarks: recorded calls, faults, latency, tokens, redelivery.

Every endpoint takes ``?channel=<name>`` (default: the first configured channel).
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from .keys import SERVICE
from .recorder import OUTAGE_MODES, Outage
from .service import CitizenError, LineSimService
from .state import ChannelState

routes = web.RouteTableDef()


def error(status: int, message: str) -> web.HTTPException:
    cls = {400: web.HTTPBadRequest, 404: web.HTTPNotFound, 409: web.HTTPConflict}.get(status, web.HTTPBadRequest)
    return cls(text=json.dumps({"error": message}, ensure_ascii=False), content_type="application/json")


def service_of(request: web.Request) -> LineSimService:
    return request.app[SERVICE]


def channel_param(request: web.Request) -> ChannelState:
    try:
        return service_of(request).channel(request.query.get("channel") or None)
    except CitizenError as exc:
        raise error(exc.status, str(exc)) from None


async def body_of(request: web.Request) -> dict[str, Any]:
    if not request.can_read_body:
        return {}
    try:
        body = await request.json()
    except ValueError:
        raise error(400, "body is not JSON") from None
    if not isinstance(body, dict):
        raise error(400, "body must be a JSON object")
    return body


def _float(value: str | None, name: str) -> float | None:
    if value in (None, ""):
        return None
    try:
        return float(value)
    except ValueError:
        raise error(400, f"{name} must be a number") from None


@routes.get("/linesim/api/calls")
async def list_calls(request: web.Request) -> web.Response:
    """``?path=<prefix>&since=<epoch seconds>&channel=<name>&method=<verb>``."""
    calls = service_of(request).state.calls.query(
        request.query.get("path"), _float(request.query.get("since"), "since"),
        request.query.get("channel"), request.query.get("method"),
    )
    return web.json_response({"calls": [c.as_json() for c in calls]})


@routes.delete("/linesim/api/calls")
async def clear_calls(request: web.Request) -> web.Response:
    service_of(request).state.calls.clear()
    return web.json_response({})


@routes.get("/linesim/api/faults")
async def list_faults(request: web.Request) -> web.Response:
    rules = service_of(request).state.faults.rules
    return web.json_response({"faults": [vars(r) for r in rules]})


@routes.post("/linesim/api/faults")
async def add_fault(request: web.Request) -> web.Response:
    """``{"path": "/v2/bot/message/push", "status": 500, "times": 2, "method": "POST"}``."""
    body = await body_of(request)
    path, status, times = body.get("path"), body.get("status"), body.get("times", 1)
    if not isinstance(path, str) or not path.startswith("/"):
        raise error(400, "path must start with /")
    if not isinstance(status, int) or not 400 <= status <= 599 or not isinstance(times, int) or times < 1:
        raise error(400, "status must be 400-599 and times >= 1")
    rule = service_of(request).state.faults.add(path, status, times, body.get("method"))
    return web.json_response(vars(rule), status=201)


@routes.delete("/linesim/api/faults")
async def clear_faults(request: web.Request) -> web.Response:
    service_of(request).state.faults.clear()
    return web.json_response({})


@routes.get("/linesim/api/outage")
async def get_outage(request: web.Request) -> web.Response:
    faults = service_of(request).state.faults
    return web.json_response({"outage": faults.outage.as_json() if faults.outage else None, "held": faults.held})


@routes.put("/linesim/api/outage")
async def start_outage(request: web.Request) -> web.Response:
    """``{"mode": "error" | "disconnect" | "hold", "status": 503, "retryAfter": 30}``: LINE is down
    (every Messaging API call fails, loses its connection, or hangs) until ``DELETE``."""
    body = await body_of(request)
    mode, status, retry_after = body.get("mode", "error"), body.get("status", 503), body.get("retryAfter")
    if mode not in OUTAGE_MODES:
        raise error(400, f"mode must be one of {', '.join(OUTAGE_MODES)}")
    if not isinstance(status, int) or not 400 <= status <= 599:
        raise error(400, "status must be 400-599")
    if retry_after is not None and (not isinstance(retry_after, int) or retry_after < 0):
        raise error(400, "retryAfter must be a whole number of seconds")
    outage = Outage(mode, status, retry_after)
    service_of(request).state.faults.go_down(outage)
    return web.json_response({"outage": outage.as_json()})


@routes.delete("/linesim/api/outage")
async def end_outage(request: web.Request) -> web.Response:
    """LINE is back; calls held by a ``hold`` outage go on."""
    service_of(request).state.faults.lift()
    return web.json_response({"outage": None})


@routes.put("/linesim/api/latency")
async def set_latency(request: web.Request) -> web.Response:
    """``{"seconds": 0.2}``: delay every Messaging API answer."""
    seconds = (await body_of(request)).get("seconds")
    if not isinstance(seconds, int | float) or not 0 <= seconds <= 60:
        raise error(400, "seconds must be between 0 and 60")
    service_of(request).state.latency = float(seconds)
    return web.json_response({"seconds": float(seconds)})


@routes.put("/linesim/api/webhook")
async def set_webhook(request: web.Request) -> web.Response:
    """``{"url": "http://127.0.0.1:8000/callback"}`` (null turns deliveries off)."""
    channel = channel_param(request)
    url = (await body_of(request)).get("url")
    if url is not None and (not isinstance(url, str) or not url.startswith(("http://", "https://"))):
        raise error(400, "url must be http(s) or null")
    channel.webhook_url = url
    return web.json_response({"channel": channel.name, "url": url})


@routes.get("/linesim/api/deliveries")
async def list_deliveries(request: web.Request) -> web.Response:
    channel = channel_param(request)
    return web.json_response({"deliveries": [d.as_json() for d in channel.deliveries]})


@routes.get("/linesim/api/events/{eventId}")
async def get_event(request: web.Request) -> web.Response:
    event = channel_param(request).events.get(request.match_info["eventId"])
    if event is None:
        raise error(404, "unknown webhookEventId")
    return web.json_response(event)


@routes.post("/linesim/api/events/{eventId}/redeliver")
async def redeliver(request: web.Request) -> web.Response:
    channel = channel_param(request)
    try:
        event = await service_of(request).redeliver(channel, request.match_info["eventId"])
    except CitizenError as exc:
        raise error(exc.status, str(exc)) from None
    return web.json_response({"event": event, "delivery": channel.deliveries[-1].as_json()})


@routes.post("/linesim/api/reply-tokens")
async def mint_reply_tokens(request: web.Request) -> web.Response:
    """``{"count": n, "userId": optional}``: valid reply tokens for a benchmark's own events."""
    channel = channel_param(request)
    body = await body_of(request)
    count = body.get("count", 1)
    if not isinstance(count, int):
        raise error(400, "count must be an integer")
    try:
        tokens = service_of(request).mint_reply_tokens(channel, count, body.get("userId"))
    except CitizenError as exc:
        raise error(exc.status, str(exc)) from None
    ttl = service_of(request).config.reply_token_ttl
    return web.json_response({"replyTokens": tokens, "expiresAt": channel.clock() + ttl})


@routes.post("/linesim/api/id-tokens")
async def mint_id_token(request: web.Request) -> web.Response:
    """``{"userId": ..., "nonce": optional, "expiresIn": seconds}``: what ``liff.getIDToken()`` returns."""
    channel = channel_param(request)
    body = await body_of(request)
    expires_in = body.get("expiresIn", 3600)
    if not isinstance(expires_in, int):
        raise error(400, "expiresIn must be an integer")
    try:
        token = service_of(request).mint_id_token(channel, str(body.get("userId")), nonce=body.get("nonce"),
                                                 expires_in=expires_in)
    except CitizenError as exc:
        raise error(exc.status, str(exc)) from None
    return web.json_response({"idToken": token, "clientId": channel.config.login_channel_id})
