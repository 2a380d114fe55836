"""``POST /callback``: verify, store durably, acknowledge — processing happens later.

The signature (HMAC-SHA256 over the raw body with the channel secret, compared in constant time)
is checked by line-bot-sdk's ``WebhookParser`` (its signature validator) before anything is
stored. The events themselves are kept as LINE sent them; turning each into the SDK's models here
would double the cost of an acknowledgement, and unknown event types must be stored all the same. Events are committed to
the inbox before the 200; redeliveries (same ``webhookEventId``) are acknowledged and not queued
again. If the store fails, the answer is 503 (LINE delivers again) and the log names the error's
kind only: its text could quote what citizens wrote.
"""

from __future__ import annotations

import json
import logging
import time

from aiohttp import web
from linebot.v3.webhook import WebhookParser

from bot.appkeys import DISPATCHER, INBOX_WRITER, METRICS, PARSERS, SETTINGS
from bot.inbox.writer import error_kind

log = logging.getLogger(__name__)


#: What became of a webhook request, for ``/metrics`` (set on refusals; 200/413/503 speak for themselves).
OUTCOME = web.ResponseKey("outcome", str)


def _bad(reason: str) -> web.Response:
    response = web.json_response({"message": reason}, status=400)
    response[OUTCOME] = "bad_signature" if "signature" in reason.lower() else "bad_request"
    return response


async def _read_body(request: web.Request, limit: int) -> bytes | None:
    """The whole body, however many TCP segments it comes in; None as soon as it passes ``limit``
    (the rest is never read). One ``read(n)`` returns only what has arrived so far."""
    chunks: list[bytes] = []
    size = 0
    while chunk := await request.content.read(limit + 1 - size):
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


async def callback(request: web.Request) -> web.Response:
    """Acknowledge LINE's webhook, timed and counted by outcome for ``/metrics``."""
    started = time.perf_counter()
    response = await _callback(request)
    metrics = request.app.get(METRICS)
    if metrics is not None:
        metrics.ack_seconds.observe(time.perf_counter() - started)
        metrics.webhook_requests.labels(_outcome(response)).inc()
    return response


def _outcome(response: web.Response) -> str:
    if response.status == 200:
        return "accepted"
    if response.status == 413:
        return "too_large"
    if response.status == 503:
        return "store_failed"
    return response.get(OUTCOME, "bad_request")


async def _callback(request: web.Request) -> web.Response:
    channel = request.match_info.get("channel", "production")
    parser: WebhookParser | None = request.app[PARSERS].get(channel)
    if parser is None:
        raise web.HTTPNotFound()
    limit = request.app[SETTINGS].max_webhook_body
    if request.content_length is not None and request.content_length > limit:
        return web.json_response({"message": "body too large"}, status=413)
    body = await _read_body(request, limit)
    if body is None:
        return web.json_response({"message": "body too large"}, status=413)
    signature = request.headers.get("X-Line-Signature", "")
    if not signature:
        return _bad("missing X-Line-Signature")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return _bad("body is not UTF-8")
    if not parser.signature_validator.validate(text, signature):
        log.warning("webhook with an invalid signature from %s", request.remote)
        return _bad("invalid signature")
    try:
        payload = json.loads(text)
    except ValueError:
        return _bad("malformed JSON")
    events = payload.get("events") if isinstance(payload, dict) else None
    if not isinstance(events, list) or not all(isinstance(e, dict) for e in events):
        return _bad("events must be a list of objects")
    if any(not isinstance(e.get("webhookEventId"), str) or not e["webhookEventId"] for e in events):
        return _bad("every event needs a webhookEventId")
    try:
        accepted = await request.app[INBOX_WRITER].add(channel, events)
    except Exception as exc:  # the store failed; its text may quote the events, so only its kind is logged
        log.error("%d webhook events could not be stored (%s); answered 503 so that LINE sends them again",
                  len(events), error_kind(exc))
        return web.json_response({"message": "events could not be stored; please retry"}, status=503)
    request.app[DISPATCHER].submit(accepted)
    metrics = request.app.get(METRICS)
    if metrics is not None:
        metrics.webhook_events.labels("accepted").inc(len(accepted))
        metrics.webhook_events.labels("redelivered").inc(len(events) - len(accepted))
    return web.Response(text="OK")
