"""Typed inbound events: a channel's event is parsed once, at the edge, into an ``InboundEvent``.

The LINE turn worker (``bot.turn``) parses each webhook event here before anything else runs; the
web chat (``liff.webchat``) builds the same object from its request. The dialogue engine, the
router and the flows read only this object (``turn.inbound``), never the channel's dict.

Postback data has one grammar (``conversation.postback``); its fields arrive parsed in
``InboundEvent.postback.fields``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from conversation.postback import parse_postback

#: Message types that carry no text the citizen typed (a sticker, a photo, a place …).
MEDIA_TYPES = frozenset({"sticker", "image", "video", "audio", "file", "location"})


@dataclass(frozen=True)
class Location:
    latitude: float
    longitude: float
    address: str = ""
    title: str = ""


@dataclass(frozen=True)
class Postback:
    #: The data as sent (what the talk log records and rich-menu tap counts use).
    data: str
    #: ``data`` parsed by the one postback grammar (``{}`` when it is not ours).
    fields: Mapping[str, str] = field(default_factory=dict)
    #: What a datetime picker adds (``{"date": "2026-12-24"}``).
    params: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class InboundEvent:
    """One event from a citizen's channel, with every field the conversation core uses typed."""

    type: str
    #: The citizen of a one-to-one chat (None for groups and rooms, and for the web chat).
    user_id: str | None = None
    #: ("group" | "room", id) for an event from a group chat; None for a one-to-one chat.
    chat: tuple[str, str] | None = None
    reply_token: str | None = None
    #: The message's type (``text``, ``image``, ``location``, ``sticker`` …) for a message event.
    message_type: str | None = None
    message_id: str | None = None
    #: The text as typed (not stripped) for a text message.
    text: str | None = None
    #: A location message with usable coordinates.
    location: Location | None = None
    #: An image whose bytes the channel keeps for us (LINE's ``contentProvider`` ``line``).
    has_content: bool = False
    postback: Postback | None = None
    #: The message taken back by LINE's 送信取消 (an ``unsend`` event).
    unsent_id: str | None = None
    #: (kind, text) for the talk log.
    summary: tuple[str, str | None] = ("unknown", None)

    @property
    def is_media(self) -> bool:
        return self.message_type in MEDIA_TYPES

    @classmethod
    def of(cls, event: InboundEvent | Mapping[str, Any]) -> InboundEvent:
        return event if isinstance(event, InboundEvent) else parse_event(event)


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _chat(source: dict[str, Any]) -> tuple[str, str] | None:
    kind = source.get("type")
    if kind in ("group", "room"):
        chat_id = source.get(f"{kind}Id")
        return (str(kind), chat_id) if isinstance(chat_id, str) and chat_id else None
    return None


def _location(message: dict[str, Any]) -> Location | None:
    try:
        return Location(float(message["latitude"]), float(message["longitude"]),
                        str(message.get("address") or ""), str(message.get("title") or ""))
    except (KeyError, TypeError, ValueError):
        return None


def _summary(kind: str, message: dict[str, Any], postback: dict[str, Any]) -> tuple[str, str | None]:
    if kind == "message":
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
        return "postback", str(postback.get("data", ""))
    return kind, None


def parse_event(event: Mapping[str, Any]) -> InboundEvent:
    """A Messaging API webhook event (or the web chat's event of the same shape), typed."""
    kind = str(event.get("type", "unknown"))
    source = _dict(event.get("source"))
    user = source.get("userId") if source.get("type", "user") == "user" else None
    message = _dict(event.get("message")) if kind == "message" else {}
    raw_postback = _dict(event.get("postback")) if kind == "postback" else {}
    mtype = message.get("type") if message else None
    text = message.get("text") if mtype == "text" else None
    postback = None
    if kind == "postback":
        data = raw_postback.get("data")
        params = raw_postback.get("params")
        postback = Postback(str(data or ""), parse_postback(data if isinstance(data, str) else None),
                            {str(k): str(v) for k, v in params.items()} if isinstance(params, dict) else {})
    provider = _dict(message.get("contentProvider"))
    unsend = _dict(event.get("unsend")) if kind == "unsend" else {}
    token = event.get("replyToken")
    return InboundEvent(
        type=kind,
        user_id=user if isinstance(user, str) else None,
        chat=_chat(source),
        reply_token=token if isinstance(token, str) else None,
        message_type=str(mtype) if mtype is not None else None,
        message_id=str(message["id"])[:64] if message.get("id") is not None else None,
        text=text if isinstance(text, str) else None,
        location=_location(message) if mtype == "location" else None,
        has_content=mtype == "image" and provider.get("type", "line") == "line",
        postback=postback,
        unsent_id=str(unsend["messageId"])[:64] if unsend.get("messageId") is not None else None,
        summary=_summary(kind, message, raw_postback),
    )
