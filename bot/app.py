"""``create_app(settings)``: the service as an aiohttp application, with no import-time side effects.

Every resource (database, LINE gateway, inbox workers) is opened and closed in ``cleanup_ctx``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable

from aiohttp import web
from linebot.v3.webhook import WebhookParser

from bot.appkeys import CLOCK, DATABASE, DISPATCHER, GATEWAY, INBOX_WRITER, PARSERS, SENDER, SETTINGS
from bot.gateway import LineGateway
from bot.help_responder import HelpResponder
from bot.inbox.dispatcher import InboxDispatcher
from bot.inbox.writer import InboxWriter
from bot.outbox.sender import OutboxSender
from bot.settings import Settings
from bot.turn import TurnHandler, TurnProcessor
from bot.webhook import callback
from civic.clock import Clock, SystemClock
from civic.database import Database

log = logging.getLogger(__name__)

HandlerFactory = Callable[[web.Application], TurnHandler]


def create_app(
    settings: Settings,
    *,
    clock: Clock | None = None,
    handler_factory: HandlerFactory | None = None,
    gateway: LineGateway | None = None,
) -> web.Application:
    app = web.Application(client_max_size=16 * 1024 * 1024)
    app[SETTINGS] = settings
    app[CLOCK] = clock or SystemClock()
    app[PARSERS] = {name: WebhookParser(a.channel_secret) for name, a in settings.accounts.items()}

    async def database_ctx(app: web.Application) -> AsyncIterator[None]:
        app[DATABASE] = Database(settings.database_url, settings.cipher())
        yield
        await app[DATABASE].dispose()

    async def gateway_ctx(app: web.Application) -> AsyncIterator[None]:
        app[GATEWAY] = gateway or LineGateway(settings.accounts, max_concurrency=settings.worker_concurrency)
        yield
        await app[GATEWAY].close()

    async def inbox_ctx(app: web.Application) -> AsyncIterator[None]:
        db, clk = app[DATABASE], app[CLOCK]
        sender = OutboxSender(db, app[GATEWAY], clk, reply_token_ttl=settings.reply_token_ttl_seconds)
        handler = handler_factory(app) if handler_factory else HelpResponder()
        processor = TurnProcessor(db, clk, handler, sender, app[GATEWAY])
        app[SENDER] = sender
        app[INBOX_WRITER] = InboxWriter(db, clk)
        app[DISPATCHER] = InboxDispatcher(db, processor, batch_size=settings.worker_concurrency)
        resent = await sender.resend_unsent()
        resumed = await app[DISPATCHER].resume_unfinished()
        if resent or resumed:
            log.info("after restart: %d answers resent, %d events resumed", resent, resumed)
        sweeper = asyncio.get_running_loop().create_task(sender.sweep_forever())
        yield
        sweeper.cancel()
        await app[DISPATCHER].stop()
        await sender.close()

    app.cleanup_ctx.extend([database_ctx, gateway_ctx, inbox_ctx])
    app.router.add_post("/callback", callback)
    app.router.add_post("/callback/{channel}", callback)
    app.router.add_get("/healthz", healthz)
    return app


async def healthz(request: web.Request) -> web.Response:
    dispatcher = request.app.get(DISPATCHER)
    return web.json_response({"status": "ok", "backlog": dispatcher.backlog if dispatcher else None})
