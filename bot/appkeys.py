"""Typed application keys of the service app (aiohttp ``web.AppKey``), in one place."""

from __future__ import annotations

from aiohttp import web
from linebot.v3.webhook import WebhookParser

from bot.gateway import LineGateway
from bot.inbox.dispatcher import InboxDispatcher
from bot.inbox.writer import InboxWriter
from bot.outbox.sender import OutboxSender
from bot.settings import Settings
from civic.clock import Clock
from civic.database import Database

SETTINGS = web.AppKey("settings", Settings)
CLOCK = web.AppKey("clock", Clock)  # type: ignore[type-abstract]
DATABASE = web.AppKey("database", Database)
GATEWAY = web.AppKey("gateway", LineGateway)
PARSERS = web.AppKey("parsers", dict[str, WebhookParser])
INBOX_WRITER = web.AppKey("inbox_writer", InboxWriter)
DISPATCHER = web.AppKey("dispatcher", InboxDispatcher)
SENDER = web.AppKey("sender", OutboxSender)
