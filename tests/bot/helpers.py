"""Small helpers for the service's tests: settings, signed webhook bodies, LINE-shaped events."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from pathlib import Path
from typing import Any

from bot.settings import LineAccount, Settings
from civic.crypto import parse_key

SECRET = "test-channel-secret"
TOKEN = "test-channel-access-token"
REPO = Path(__file__).resolve().parents[2]
KEY_HEX = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"


def make_settings(database_url: str, api_base_url: str = "http://127.0.0.1:9", **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "line": LineAccount("production", SECRET, TOKEN, api_base_url, api_base_url),
        "database_url": database_url,
        "data_key": parse_key(KEY_HEX),
        "content_dir": REPO / "content",
        "worker_concurrency": 8,
    }
    values.update(overrides)
    return Settings(**values)


def sign(body: bytes, secret: str = SECRET) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def text_event(user_id: str, text: str, *, reply_token: str | None = None, event_id: str | None = None,
               redelivery: bool = False) -> dict[str, Any]:
    return {
        "type": "message",
        "mode": "active",
        "timestamp": int(time.time() * 1000),
        "source": {"type": "user", "userId": user_id},
        "webhookEventId": event_id or uuid.uuid4().hex[:26].upper(),
        "deliveryContext": {"isRedelivery": redelivery},
        "replyToken": reply_token or uuid.uuid4().hex,
        "message": {"type": "text", "id": str(uuid.uuid4().int)[:18], "quoteToken": "q", "text": text},
    }


def body_of(*events: dict[str, Any]) -> bytes:
    return json.dumps({"destination": "Ubot", "events": list(events)}, ensure_ascii=False).encode()
