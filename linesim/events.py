"""Webhook event objects in LINE's exact JSON shape."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

from . import ids


def event(kind: str, user_id: str | None, now: float, *, reply_token: str | None = None,
          chat: tuple[str, str] | None = None, **fields: Any) -> dict[str, Any]:
    """The common part of every event, plus the kind-specific ``fields``. The source is the
    one-to-one chat with ``user_id``, or with ``chat`` = ("group" | "room", id) that group or room
    (with ``userId`` when a member did something; none for the account's own join/leave)."""
    source: dict[str, Any] = {"type": "user", "userId": user_id}
    if chat is not None:
        source = {"type": chat[0], f"{chat[0]}Id": chat[1]}
        if user_id:
            source["userId"] = user_id
    out: dict[str, Any] = {
        "type": kind,
        "mode": "active",
        "timestamp": int(now * 1000),
        "source": source,
        "webhookEventId": ids.webhook_event_id(now),
        "deliveryContext": {"isRedelivery": False},
    }
    if reply_token is not None:
        out["replyToken"] = reply_token
    out.update(fields)
    return out


def text_message(message_id: str, text: str) -> dict[str, Any]:
    return {"id": message_id, "type": "text", "quoteToken": ids.quote_token(), "text": text}


def image_message(message_id: str) -> dict[str, Any]:
    return {"id": message_id, "type": "image", "quoteToken": ids.quote_token(),
            "contentProvider": {"type": "line"}}


def location_message(message_id: str, latitude: float, longitude: float,
                     title: str | None = None, address: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"id": message_id, "type": "location", "latitude": latitude, "longitude": longitude}
    if title:
        out["title"] = title
    if address:
        out["address"] = address
    return out


def sticker_message(message_id: str, package_id: str, sticker_id: str) -> dict[str, Any]:
    return {"id": message_id, "type": "sticker", "quoteToken": ids.quote_token(), "packageId": package_id,
            "stickerId": sticker_id, "stickerResourceType": "STATIC", "keywords": []}


def postback(data: str, params: dict[str, str] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"data": data}
    if params:
        out["params"] = params
    return out


def as_redelivery(original: dict[str, Any]) -> dict[str, Any]:
    """The same event (same ``webhookEventId``) marked ``isRedelivery: true``."""
    copy = json.loads(json.dumps(original))
    copy["deliveryContext"] = {"isRedelivery": True}
    return copy


def webhook_body(destination: str, events: list[dict[str, Any]]) -> bytes:
    return json.dumps({"destination": destination, "events": events}, ensure_ascii=False,
                      separators=(",", ":")).encode()


def signature(secret: str, body: bytes) -> str:
    """``X-Line-Signature``: base64 of HMAC-SHA256 of the raw body, keyed by the channel secret."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()
