"""Typed application keys (one module, per the house style)."""

from __future__ import annotations

import asyncio

from aiohttp import web

from .config import SimConfig
from .service import LineSimService

CONFIG = web.AppKey("linesim_config", SimConfig)
SERVICE = web.AppKey("linesim_service", LineSimService)
STOPPING = web.AppKey("linesim_stopping", asyncio.Event)

# request-scoped values (aiohttp requests are mutable mappings keyed by str)
REQUEST_ID = "linesim.request_id"
CHANNEL = "linesim.channel"
JSON_BODY = "linesim.json"
