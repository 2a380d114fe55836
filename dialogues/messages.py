"""Builders for Messaging API message objects (plain dicts, as the gateway sends them).

Limits that LINE enforces (and linesim checks): quick-reply labels ≤ 20 characters, at most 13
items; postback data ≤ 300 characters; a text message ≤ 5000 characters; Flex carousels ≤ 12
bubbles. The builders cut labels and texts so a long FAQ question never breaks a reply.
"""

from __future__ import annotations

from typing import Any, Literal

from conversation.postback import postback_data

Message = dict[str, Any]

MAX_LABEL = 20
MAX_QUICK_REPLIES = 13
MAX_TEXT = 5000


def clip(text: str, limit: int) -> str:
    text = " ".join(str(text).split()) if limit <= 40 else str(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


#: Postback data in the one grammar (``conversation.postback``): ``m.data(action="report")``.
data = postback_data


def postback(label: str, data_: str, display: str | Literal[False] | None = None) -> dict[str, Any]:
    """A postback button; its ``displayText`` is ``display`` (the label when None, none at all when False)."""
    action: dict[str, Any] = {"type": "postback", "label": clip(label, MAX_LABEL), "data": data_}
    if display is not False:
        action["displayText"] = clip(display or label, 300)
    return action


def say_action(label: str, text: str | None = None) -> dict[str, Any]:
    """A button that sends ``text`` as if typed (shows in the chat, works without state)."""
    return {"type": "message", "label": clip(label, MAX_LABEL), "text": clip(text or label, 300)}


def uri_action(label: str, uri: str) -> dict[str, Any]:
    return {"type": "uri", "label": clip(label, MAX_LABEL), "uri": uri}


def location_action(label: str = "位置情報を送る") -> dict[str, Any]:
    return {"type": "location", "label": clip(label, MAX_LABEL)}


def camera_action(label: str = "カメラで撮る") -> dict[str, Any]:
    return {"type": "camera", "label": clip(label, MAX_LABEL)}


def camera_roll_action(label: str = "写真を選ぶ") -> dict[str, Any]:
    return {"type": "cameraRoll", "label": clip(label, MAX_LABEL)}


def quick_replies(actions: list[dict[str, Any]]) -> dict[str, Any]:
    return {"items": [{"type": "action", "action": a} for a in actions[:MAX_QUICK_REPLIES]]}


def text(body: str, actions: list[dict[str, Any]] | None = None) -> Message:
    message: Message = {"type": "text", "text": clip(body, MAX_TEXT) or "…"}
    if actions:
        message["quickReply"] = quick_replies(actions)
    return message


def with_quick_replies(message: Message, actions: list[dict[str, Any]]) -> Message:
    if not actions:
        return message
    return {**message, "quickReply": quick_replies(actions)}


def location(title: str, address: str, latitude: float, longitude: float) -> Message:
    return {"type": "location", "title": clip(title, 100), "address": clip(address or title, 100),
            "latitude": latitude, "longitude": longitude}


def flex(alt_text: str, contents: dict[str, Any], actions: list[dict[str, Any]] | None = None) -> Message:
    message: Message = {"type": "flex", "altText": clip(alt_text, 400), "contents": contents}
    if actions:
        message["quickReply"] = quick_replies(actions)
    return message


def flex_text(body: str, *, size: str = "sm", weight: str | None = None, color: str | None = None,
              wrap: bool = True, margin: str | None = None) -> dict[str, Any]:
    node: dict[str, Any] = {"type": "text", "text": clip(body, 2000) or " ", "size": size, "wrap": wrap}
    if weight:
        node["weight"] = weight
    if color:
        node["color"] = color
    if margin:
        node["margin"] = margin
    return node


def flex_button(action: dict[str, Any], *, style: str = "link", height: str = "sm") -> dict[str, Any]:
    return {"type": "button", "action": action, "style": style, "height": height}


def bubble(body: list[dict[str, Any]], *, footer: list[dict[str, Any]] | None = None,
           hero_url: str | None = None, size: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "bubble",
                           "body": {"type": "box", "layout": "vertical", "spacing": "sm", "contents": body}}
    if size:
        out["size"] = size
    if hero_url:
        out["hero"] = {"type": "image", "url": hero_url, "size": "full", "aspectRatio": "20:13",
                       "aspectMode": "cover"}
    if footer:
        out["footer"] = {"type": "box", "layout": "vertical", "spacing": "sm", "contents": footer}
    return out


def carousel(bubbles: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "carousel", "contents": bubbles[:12]}


def plain(message: Message) -> str:
    """A message as plain text (for the web chat's fallback and for logs)."""
    if message.get("type") == "text":
        return str(message.get("text", ""))
    return str(message.get("altText") or message.get("title") or "")
