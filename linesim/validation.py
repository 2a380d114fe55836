"""Request-body checks: line-bot-sdk's own models first, then LINE's documented limits.

The SDK models catch wrong types and missing fields; the limits they do not know (text length,
template and Flex sizes, label lengths) are checked here. Every problem becomes a `Detail` whose
``property`` is the JSON path LINE would name, e.g. ``messages[0].quickReply.items``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from linebot.v3.messaging import models as sdk
from pydantic.v1 import ValidationError

from .errors import Detail, invalid_body

MAX_MESSAGES = 5
MAX_TEXT = 5000
MAX_QUICK_REPLY_ITEMS = 13
MAX_ALT_TEXT = 1500
MAX_MULTICAST = 500
MAX_LABEL = 20
MAX_DATA = 300
MAX_URI = 1000
MAX_URL = 2000
MAX_FLEX_CAROUSEL = 12

_REQUEST_MODELS: dict[str, Any] = {
    "reply": sdk.ReplyMessageRequest,
    "push": sdk.PushMessageRequest,
    "multicast": sdk.MulticastRequest,
    "broadcast": sdk.BroadcastRequest,
    "narrowcast": sdk.NarrowcastRequest,
}


def utf16_len(text: str) -> int:
    """LINE counts characters as UTF-16 code units (an emoji outside the BMP counts twice)."""
    return len(text.encode("utf-16-le")) // 2


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


def path_of(prefix: str, loc: tuple[Any, ...]) -> str:
    """``("quick_reply", "items", 0, "action")`` under ``messages[0]`` → ``messages[0].quickReply.items[0].action``."""
    out = prefix
    for part in loc:
        if part == "__root__":
            continue
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + _camel(str(part))
    return out


def sdk_details(build: Callable[[], object], prefix: str) -> list[Detail]:
    """Run an SDK ``from_dict`` and turn whatever it raises into details."""
    try:
        build()
    except ValidationError as exc:
        return [Detail(e["msg"], path_of(prefix, tuple(e["loc"]))) for e in exc.errors()]
    except (KeyError, ValueError, TypeError, AttributeError) as exc:
        return [Detail(_short(exc), prefix or "body")]
    return []


def _short(exc: Exception) -> str:
    text = str(exc)
    if isinstance(exc, KeyError):
        return f"Missing property {text}"
    if text.startswith("Message failed to lookup discriminator"):
        return "Must be one of the following values: [text, textV2, image, video, audio, location, sticker, template, imagemap, flex, coupon]"
    return text.split(". Discriminator")[0][:300] or type(exc).__name__


def _size(items: Any, low: int, high: int, prop: str) -> list[Detail]:
    if not isinstance(items, list):
        return [Detail("Must be an array", prop)]
    if not low <= len(items) <= high:
        return [Detail(f"Size must be between {low} and {high}", prop)]
    return []


def _length(value: Any, high: int, prop: str, *, low: int = 0) -> list[Detail]:
    if value is None or not isinstance(value, str):
        return []
    if not low <= utf16_len(value) <= high:
        if low and not value:
            return [Detail("May not be empty", prop)]
        return [Detail(f"Length must be between {low} and {high}", prop)]
    return []


def check_action(action: Any, prop: str, *, label_required: bool = False) -> list[Detail]:
    """Limits of one action object (label, data, text, uri)."""
    if not isinstance(action, dict):
        return [Detail("Must be an object", prop)]
    out: list[Detail] = []
    if label_required and not action.get("label"):
        out.append(Detail("May not be empty", f"{prop}.label"))
    out += _length(action.get("label"), MAX_LABEL, f"{prop}.label")
    out += _length(action.get("data"), MAX_DATA, f"{prop}.data")
    out += _length(action.get("displayText"), MAX_DATA, f"{prop}.displayText")
    out += _length(action.get("text"), MAX_DATA, f"{prop}.text")
    uri = action.get("uri")
    if action.get("type") == "uri":
        if not isinstance(uri, str) or not re.match(r"^(https?|line|tel|mailto):", uri):
            out.append(Detail("Must be a valid URI (http, https, line, tel)", f"{prop}.uri"))
        out += _length(uri, MAX_URI, f"{prop}.uri")
    if action.get("type") == "datetimepicker" and action.get("mode") not in {"date", "time", "datetime"}:
        out.append(Detail("Must be one of the following values: [date, time, datetime]", f"{prop}.mode"))
    if action.get("type") == "richmenuswitch" and not action.get("richMenuAliasId"):
        out.append(Detail("May not be empty", f"{prop}.richMenuAliasId"))
    return out


def _check_template(template: Any, prop: str) -> list[Detail]:
    if not isinstance(template, dict):
        return [Detail("Must be an object", prop)]
    kind = template.get("type")
    out: list[Detail] = []
    if kind in {"buttons", "confirm"}:
        has_header = bool(template.get("thumbnailImageUrl") or template.get("title"))
        high = 240 if kind == "confirm" else (60 if has_header else 160)
        out += _length(template.get("text"), high, f"{prop}.text", low=1)
        out += _length(template.get("title"), 40, f"{prop}.title")
        actions = template.get("actions")
        out += _size(actions, 2, 2, f"{prop}.actions") if kind == "confirm" else _size(actions, 1, 4, f"{prop}.actions")
        for i, action in enumerate(actions if isinstance(actions, list) else []):
            out += check_action(action, f"{prop}.actions[{i}]", label_required=True)
    elif kind in {"carousel", "image_carousel"}:
        columns = template.get("columns")
        out += _size(columns, 1, 10, f"{prop}.columns")
        counts = set()
        for i, column in enumerate(columns if isinstance(columns, list) else []):
            cprop = f"{prop}.columns[{i}]"
            if kind == "image_carousel":
                out += check_action(column.get("action"), f"{cprop}.action")
                continue
            has_header = bool(column.get("thumbnailImageUrl") or column.get("title"))
            out += _length(column.get("text"), 60 if has_header else 120, f"{cprop}.text", low=1)
            out += _length(column.get("title"), 40, f"{cprop}.title")
            actions = column.get("actions")
            out += _size(actions, 1, 3, f"{cprop}.actions")
            counts.add(len(actions) if isinstance(actions, list) else 0)
            for j, action in enumerate(actions if isinstance(actions, list) else []):
                out += check_action(action, f"{cprop}.actions[{j}]", label_required=True)
        if len(counts) > 1:
            out.append(Detail("All columns must have the same number of actions", f"{prop}.columns"))
    return out


def _walk_flex_actions(node: Any, prop: str) -> list[Detail]:
    out: list[Detail] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "action" and isinstance(value, dict):
                out += check_action(value, f"{prop}.action")
            else:
                out += _walk_flex_actions(value, f"{prop}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            out += _walk_flex_actions(value, f"{prop}[{i}]")
    return out


def check_message(message: Any, prop: str) -> list[Detail]:
    """One message object: the SDK model, then LINE's limits for its type."""
    if not isinstance(message, dict):
        return [Detail("Must be an object", prop)]
    if "type" not in message:
        return [Detail("May not be empty", f"{prop}.type")]
    out: list[Detail] = []
    kind = message.get("type")
    if kind in {"text", "textV2"}:
        out += _length(message.get("text"), MAX_TEXT, f"{prop}.text", low=1)
    elif kind in {"image", "video"}:
        for key in ("originalContentUrl", "previewImageUrl"):
            out += _length(message.get(key), MAX_URL, f"{prop}.{key}")
    elif kind == "location":
        out += _length(message.get("title"), 100, f"{prop}.title")
        out += _length(message.get("address"), 100, f"{prop}.address")
    elif kind == "template":
        out += _length(message.get("altText"), MAX_ALT_TEXT, f"{prop}.altText", low=1)
        out += _check_template(message.get("template"), f"{prop}.template")
    elif kind == "flex":
        out += _length(message.get("altText"), MAX_ALT_TEXT, f"{prop}.altText", low=1)
        contents = message.get("contents")
        if isinstance(contents, dict) and contents.get("type") == "carousel":
            out += _size(contents.get("contents"), 1, MAX_FLEX_CAROUSEL, f"{prop}.contents.contents")
        out += _walk_flex_actions(contents, f"{prop}.contents")
    quick_reply = message.get("quickReply")
    if isinstance(quick_reply, dict):
        items = quick_reply.get("items")
        out += _size(items, 1, MAX_QUICK_REPLY_ITEMS, f"{prop}.quickReply.items")
        for i, item in enumerate(items if isinstance(items, list) else []):
            if isinstance(item, dict):
                action = item.get("action")
                needs_label = isinstance(action, dict) and action.get("type") not in {"camera", "cameraRoll", "location"}
                out += check_action(action, f"{prop}.quickReply.items[{i}].action", label_required=needs_label)
    # LINE's limits name the exact property; the SDK's nested models lose the path prefix, so
    # their findings are only used when the limits found nothing.
    return _dedupe(out) or sdk_details(lambda: sdk.Message.from_dict(message), prop)


def _dedupe(details: list[Detail]) -> list[Detail]:
    """The SDK and our limits sometimes name the same problem; keep the first of each property."""
    seen: set[str] = set()
    out = []
    for d in details:
        if d.property not in seen:
            seen.add(d.property)
            out.append(d)
    return out


def check_messages(messages: Any, prop: str = "messages") -> list[Detail]:
    out = _size(messages, 1, MAX_MESSAGES, prop)
    if isinstance(messages, list):
        for i, message in enumerate(messages):
            out += check_message(message, f"{prop}[{i}]")
    return out


def validate_send(kind: str, body: Any) -> dict[str, Any]:
    """Validate a reply/push/multicast/broadcast/narrowcast body; raise LINE's 400 when it is bad."""
    if not isinstance(body, dict):
        raise invalid_body([Detail("Must be a JSON object", "body")])
    details = check_messages(body.get("messages"))
    if kind == "reply" and not body.get("replyToken"):
        details.append(Detail("May not be empty", "replyToken"))
    if kind == "push" and not body.get("to"):
        details.append(Detail("May not be empty", "to"))
    if kind == "multicast":
        details += _size(body.get("to"), 1, MAX_MULTICAST, "to")
    if not details:
        details = sdk_details(lambda: _REQUEST_MODELS[kind].from_dict(body), "")
    if details:
        raise invalid_body(details)
    return body
