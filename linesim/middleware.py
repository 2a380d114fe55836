"""The edge of the emulated Messaging API: request ids, auth, recording, latency, faults, errors."""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web
from multidict import CIMultiDict

from . import ids
from .errors import AUTH_FAILED, AUTH_MISSING, NOT_FOUND, RATE_LIMITED, SERVER_ERROR, LineApiError
from .keys import CHANNEL, JSON_BODY, REQUEST_ID, SERVICE
from .recorder import CallRecord
from .state import ChannelState

API_PREFIXES = ("/v2/", "/oauth2/")
UNAUTHENTICATED = ("/oauth2/",)
FAULT_MESSAGES = {429: RATE_LIMITED, 500: SERVER_ERROR, 503: "Service Unavailable"}


def channel_of(request: web.Request) -> ChannelState:
    """The channel selected by the bearer token (set by the middleware)."""
    return request[CHANNEL]


def json_body(request: web.Request) -> Any:
    """The parsed JSON body; LINE's 400 when it is missing or malformed."""
    body = request.get(JSON_BODY)
    if body is None:
        raise LineApiError(400, "The request body could not be parsed as JSON")
    return body


def _parse_json(raw: bytes) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None


@web.middleware
async def line_api(request: web.Request, handler: Any) -> web.StreamResponse:
    if not request.path.startswith(API_PREFIXES):
        return await handler(request)
    service = request.app[SERVICE]
    state = service.state
    request_id = ids.request_id()
    request[REQUEST_ID] = request_id
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge:
        response = LineApiError(413, "Request Entity Too Large").response()
        response.headers["x-line-request-id"] = request_id
        return response
    content_type = request.headers.get("Content-Type", "")
    is_form = content_type.startswith("application/x-www-form-urlencoded")
    body = _parse_json(raw) if "json" in content_type or not content_type else None
    request[JSON_BODY] = body
    if is_form:  # recorded for tests, e.g. the LIFF verify call
        body = dict(parse_qsl(raw.decode(errors="replace")))
    channel = _authenticate(request, state)
    record = CallRecord(
        seq=state.calls.next_seq(), timestamp=state.clock(), channel=channel.name if channel else None,
        method=request.method, path=request.path, query=dict(request.query),
        headers=CIMultiDict(request.headers), body=body, body_size=len(raw), content_type=content_type,
        request_id=request_id,
    )
    state.calls.add(record)
    outage = state.faults.outage
    if outage is not None and outage.mode == "disconnect":
        if request.transport is not None:
            request.transport.abort()  # no answer at all: the client sees the connection drop
        return web.Response(status=599)  # never sent; the record keeps status None
    if outage is not None and outage.mode == "hold":
        await state.faults.hold()
        outage = None
    try:
        if channel is None and not request.path.startswith(UNAUTHENTICATED):
            has_bearer = request.headers.get("Authorization", "").startswith("Bearer ")
            raise LineApiError(401, AUTH_FAILED if has_bearer else AUTH_MISSING)
        request[CHANNEL] = channel
        if outage is not None:
            headers = {"Retry-After": str(outage.retry_after)} if outage.retry_after is not None else {}
            raise LineApiError(outage.status, FAULT_MESSAGES.get(outage.status, f"Injected outage {outage.status}"),
                               headers=headers)
        if state.latency > 0:
            await asyncio.sleep(state.latency)
        status = state.faults.take(request.method, request.path)
        if status is not None:
            raise LineApiError(status, FAULT_MESSAGES.get(status, f"Injected fault {status}"))
        response = await handler(request)
    except LineApiError as exc:
        response = exc.response()
    except web.HTTPNotFound:
        response = LineApiError(404, NOT_FOUND).response()
    except web.HTTPMethodNotAllowed:
        response = LineApiError(405, "Method not allowed").response()
    response.headers["x-line-request-id"] = request_id
    record.status = response.status
    return response


def _authenticate(request: web.Request, state: Any) -> ChannelState | None:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return None
    return state.by_token(header[len("Bearer "):].strip())
