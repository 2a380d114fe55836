"""Typed application keys (one module, per the house style)."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any

from aiohttp import web

from .config import SimConfig
from .service import LineSimService

CONFIG = web.AppKey("linesim_config", SimConfig)
SERVICE = web.AppKey("linesim_service", LineSimService)
STOPPING = web.AppKey("linesim_stopping", asyncio.Event)
#: The day (Japan time) linesim started: it has recorded state, and so insight figures, from then on.
STARTED = web.AppKey("linesim_started", date)

# request-scoped values; web.RequestKey is typed (aiohttp >= 3.12), plain strings before it
_RequestKey: Any = getattr(web, "RequestKey", None)


def _request_key(name: str, kind: Any) -> Any:
    return _RequestKey(name, kind) if _RequestKey is not None else name


REQUEST_ID = _request_key("linesim_request_id", str)
CHANNEL = _request_key("linesim_channel", object)
JSON_BODY = _request_key("linesim_json", object)
