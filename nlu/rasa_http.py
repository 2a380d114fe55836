"""Parse through a running Rasa server (``POST {RASA_URL}/model/parse``) instead of the built-in model.

Stdlib ``urllib`` by default; pass ``transport`` to use another client. For async callers,
:meth:`RasaHttpInterpreter.parse_async` takes an injected coroutine function, so this package never
imports aiohttp.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

__all__ = ["NluBackendError", "RasaHttpInterpreter", "normalize_rasa_result"]

# (url, JSON body bytes, timeout seconds) -> response body bytes
Transport = Callable[[str, bytes, float], bytes]
AsyncPost = Callable[[str, dict[str, Any], float], Awaitable[dict[str, Any]]]


class NluBackendError(RuntimeError):
    """The Rasa server could not be reached or answered something we cannot read."""


def _urllib_transport(url: str, body: bytes, timeout: float) -> bytes:
    req = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        return resp.read()


def normalize_rasa_result(text: str, raw: Any) -> dict[str, Any]:
    """Rasa's answer in exactly our shape (Rasa's DIET uses ``confidence_entity``; we use ``confidence``)."""
    if not isinstance(raw, dict):
        raise NluBackendError(f"Rasa answered {type(raw).__name__}, expected a JSON object")
    intent = raw.get("intent") or {}
    name = intent.get("name")
    result_intent = {"name": name if name is not None else "nlu_fallback",
                     "confidence": float(intent.get("confidence") or 0.0)}
    ranking = [{"name": r.get("name"), "confidence": float(r.get("confidence") or 0.0)}
               for r in raw.get("intent_ranking") or [] if isinstance(r, dict)]
    entities = []
    for e in raw.get("entities") or []:
        if not isinstance(e, dict) or "entity" not in e:
            continue
        entities.append({
            "entity": e["entity"],
            "value": e.get("value"),
            "start": e.get("start"),
            "end": e.get("end"),
            "confidence": float(e.get("confidence", e.get("confidence_entity", 1.0)) or 0.0),
            "role": e.get("role"),
            "extractor": e.get("extractor", "rasa"),
        })
    return {"text": text, "intent": result_intent, "intent_ranking": ranking or [result_intent], "entities": entities}


class RasaHttpInterpreter:
    """Same ``parse`` contract as :class:`nlu.Interpreter`, answered by a Rasa server."""

    def __init__(self, url: str, *, timeout: float = 3.0, transport: Transport | None = None) -> None:
        self.url = url.rstrip("/") + "/model/parse"
        self.timeout = timeout
        self.transport = transport or _urllib_transport

    def parse(self, text: str, *, now: datetime | None = None) -> dict[str, Any]:
        """Raises :class:`NluBackendError` when the server is down or answers garbage."""
        del now  # Rasa resolves times itself (duckling); kept for the common signature
        text = text if isinstance(text, str) else ""
        body = json.dumps({"text": text}, ensure_ascii=False).encode("utf-8")
        try:
            raw = self.transport(self.url, body, self.timeout)
        except urllib.error.HTTPError as exc:
            raise NluBackendError(f"Rasa at {self.url} answered HTTP {exc.code}") from exc
        except (urllib.error.URLError, OSError, TimeoutError) as exc:
            raise NluBackendError(f"Rasa at {self.url} unreachable: {exc}") from exc
        try:
            decoded = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            raise NluBackendError(f"Rasa at {self.url} answered non-JSON: {raw[:80]!r}") from exc
        return normalize_rasa_result(text, decoded)

    async def parse_async(self, text: str, *, post: AsyncPost, now: datetime | None = None) -> dict[str, Any]:
        """``post(url, json_body, timeout)`` is the caller's async HTTP client (aiohttp in the service)."""
        del now
        text = text if isinstance(text, str) else ""
        try:
            raw = await post(self.url, {"text": text}, self.timeout)
        except Exception as exc:
            raise NluBackendError(f"Rasa at {self.url} failed: {exc}") from exc
        return normalize_rasa_result(text, raw)
