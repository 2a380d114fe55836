"""Our menu snapshot entries as LINE rich-menu objects; names carry a content hash so publishing can
recognise what it created before (even when the database never heard back from LINE)."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from richmenus.spec import (
    DatetimePickerAction,
    MenuSpec,
    MessageAction,
    PostbackAction,
    SwitchAction,
    UriAction,
)

ALIAS_PREFIX = "mdg-m"
_TAG = re.compile(r"\[mdg:([0-9a-f]{16})\]$")


def alias_id(menu_id: int | str) -> str:
    return f"{ALIAS_PREFIX}{menu_id}"


def is_our_alias(alias: str) -> bool:
    return alias.startswith(ALIAS_PREFIX) and alias[len(ALIAS_PREFIX):].isdigit()


def tag_of(name: str) -> str | None:
    match = _TAG.search(name or "")
    return match.group(1) if match else None


def _action(action: Any, label: str | None) -> dict[str, Any]:
    out: dict[str, Any]
    if isinstance(action, PostbackAction):
        out = {"type": "postback", "data": action.data}
        if action.display_text:
            out["displayText"] = action.display_text
    elif isinstance(action, MessageAction):
        out = {"type": "message", "text": action.text}
    elif isinstance(action, UriAction):
        out = {"type": "uri", "uri": action.uri}
    elif isinstance(action, DatetimePickerAction):
        out = {"type": "datetimepicker", "data": action.data, "mode": action.mode}
        out.update({k: v for k in ("initial", "min", "max") if (v := getattr(action, k))})
    elif isinstance(action, SwitchAction):
        out = {"type": "richmenuswitch", "richMenuAliasId": alias_id(action.menu_id), "data": action.data}
    else:  # pragma: no cover - the Action union is closed
        raise TypeError(type(action))
    if label:
        out["label"] = label
    return out


def line_request(entry: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """(the LINE rich-menu object, its content hash over object and image)."""
    spec = MenuSpec.model_validate(entry["spec"])
    body = {
        "size": {"width": spec.size.width, "height": spec.size.height},
        "selected": spec.selected,
        "chatBarText": spec.chat_bar_text,
        "areas": [{"bounds": a.bounds.model_dump(), "action": _action(a.action, a.label)} for a in spec.areas],
    }
    digest = hashlib.sha256((json.dumps(body, sort_keys=True, ensure_ascii=False) + (entry.get("image") or ""))
                            .encode("utf-8")).hexdigest()
    body["name"] = f"{entry['name'][:200]} [mdg:{digest[:16]}]"
    return body, digest[:16]
