"""Typed application keys of the service app (aiohttp ``web.AppKey``), in one place."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from aiohttp import web
from linebot.v3.webhook import WebhookParser

from bot.gateway import LineGateway
from bot.inbox.writer import Accepted, InboxWriter
from bot.outbox.sender import OutboxSender
from bot.settings import Settings
from civic.clock import Clock
from civic.database import Database


class EventQueue(Protocol):
    """Where the webhook hands newly stored events: the inbox dispatcher, or the link to the worker."""

    def submit(self, accepted: Iterable[Accepted]) -> None: ...

    @property
    def backlog(self) -> int: ...

    async def wait_idle(self) -> None: ...


SETTINGS = web.AppKey("settings", Settings)
CLOCK = web.AppKey("clock", Clock)  # type: ignore[type-abstract]
DATABASE = web.AppKey("database", Database)
#: The inbox store (``bot.inbox.models``): the same object as ``DATABASE`` when they share a URL.
INBOX_DATABASE = web.AppKey("inbox_database", Database)
GATEWAY = web.AppKey("gateway", LineGateway)
PARSERS = web.AppKey("parsers", dict[str, WebhookParser])
INBOX_WRITER = web.AppKey("inbox_writer", InboxWriter)
DISPATCHER = web.AppKey("dispatcher", EventQueue)  # type: ignore[type-abstract]
SENDER = web.AppKey("sender", OutboxSender)
