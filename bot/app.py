"""``create_app(settings)``: the service as an aiohttp application, with no import-time side effects.

Every resource (database, LINE gateway, inbox workers) is opened and closed in ``cleanup_ctx``.

An app plays one of three roles (``Role``):

* ``INLINE`` — everything in one process: webhook, turns, answers (tests, the demo,
  ``python -m bot serve --single-process``);
* ``WEB`` — the HTTP side: webhooks are verified, stored and acknowledged, and a child process
  started with ``worker_command`` runs the turns (``python -m bot serve``; see
  ``bot.inbox.worker_link``);
* ``WORKER`` — that child: the inbox dispatcher, the turns and their answers (``bot.worker``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import timedelta
from enum import Enum
from typing import Any

from aiohttp import web
from linebot.v3.webhook import WebhookParser

from admin_api.address_allow_list import admin_allow_list_middleware
from bot.appkeys import (
    CLOCK,
    DATABASE,
    DISPATCHER,
    GATEWAY,
    INBOX_DATABASE,
    INBOX_WRITER,
    PARSERS,
    ROLE,
    SENDER,
    SETTINGS,
)
from bot.circuit import BreakerPolicy
from bot.gateway import LineGateway
from bot.group_chats import GroupPolicy
from bot.help_responder import HelpResponder
from bot.inbox.dispatcher import InboxDispatcher
from bot.inbox.worker_link import WorkerLink
from bot.inbox.writer import InboxWriter
from bot.outbox.backlog import outbox_backlog
from bot.outbox.sender import OutboxSender, RetrySchedule
from bot.settings import Settings
from bot.turn import TurnHandler, TurnProcessor
from bot.webhook import callback
from civic.client_address import TrustedProxies
from civic.clock import Clock, SystemClock
from civic.database import Database

log = logging.getLogger(__name__)

HandlerFactory = Callable[[web.Application], TurnHandler]


class Role(Enum):
    INLINE = "inline"
    WEB = "web"
    WORKER = "worker"


def create_app(
    settings: Settings,
    *,
    clock: Clock | None = None,
    handler_factory: HandlerFactory | None = None,
    gateway: LineGateway | None = None,
    role: Role = Role.INLINE,
    worker_command: Sequence[str] = (),
) -> web.Application:
    if role is Role.WEB and not worker_command:
        raise ValueError("the web role needs the command that starts its turn worker")
    middlewares = [client_address_middleware(TrustedProxies(settings.trusted_proxies))] if settings.trusted_proxies else []
    if settings.admin_allowed_networks:  # after the client address is known
        middlewares.append(admin_allow_list_middleware(settings.admin_allowed_networks))
    app = web.Application(client_max_size=16 * 1024 * 1024, middlewares=middlewares)
    app[ROLE] = role
    app[SETTINGS] = settings
    app[CLOCK] = clock or SystemClock()
    app[PARSERS] = {name: WebhookParser(a.channel_secret) for name, a in settings.accounts.items()}

    # Created here (no I/O until first use) so features' routers and pages can take it as an argument.
    # The worker's statements run on its loop's thread (no HTTP to keep responsive there).
    app[DATABASE] = Database(settings.database_url, settings.cipher(), inline=role is Role.WORKER)
    app[INBOX_DATABASE] = (app[DATABASE] if settings.inbox_url == settings.database_url
                           else Database(settings.inbox_url, settings.cipher()))

    async def database_ctx(app: web.Application) -> AsyncIterator[None]:
        yield
        await app[DATABASE].dispose()
        if app[INBOX_DATABASE] is not app[DATABASE]:
            await app[INBOX_DATABASE].dispose()

    async def gateway_ctx(app: web.Application) -> AsyncIterator[None]:
        app[GATEWAY] = gateway or LineGateway(
            settings.accounts, max_concurrency=settings.worker_concurrency,
            breaker=BreakerPolicy(failures=settings.line_breaker_failures, max_open=settings.line_breaker_max_seconds))
        yield
        await app[GATEWAY].close()

    async def inbox_ctx(app: web.Application) -> AsyncIterator[None]:
        db, inbox, clk = app[DATABASE], app[INBOX_DATABASE], app[CLOCK]
        # Every role sends: the web process sends what staff and LIFF pages notify citizens of.
        sender = OutboxSender(db, app[GATEWAY], clk, reply_token_ttl=settings.reply_token_ttl_seconds,
                              retry=retry_schedule(settings))
        app[SENDER] = sender
        # Built in every role: the web chat page answers with the same handler.
        handler = handler_factory(app) if handler_factory else HelpResponder()
        app[INBOX_WRITER] = InboxWriter(inbox, clk)
        if role is Role.WEB:
            link = WorkerLink(worker_command)
            app[DISPATCHER] = link
            await link.start()
            yield
            await link.stop()
            await sender.close()
            return
        processor = TurnProcessor(db, clk, handler, sender, app[GATEWAY], GroupPolicy(settings.group_policy))
        dispatcher = InboxDispatcher(db, inbox, processor, batch_size=settings.worker_concurrency)
        app[DISPATCHER] = dispatcher
        resent = await sender.resend_unsent()
        if role is Role.INLINE:  # a worker resumes once its link to the web process is up (bot.worker)
            resumed = await dispatcher.resume_unfinished()
            if resent or resumed:
                log.info("after restart: %d answers resent, %d events resumed", resent, len(resumed))
        retries = asyncio.get_running_loop().create_task(sender.run_retries())
        yield
        retries.cancel()  # awaited: a pass cut off mid-query must end before the database is disposed
        with contextlib.suppress(asyncio.CancelledError):
            await retries
        await dispatcher.stop()
        await sender.close()

    app.cleanup_ctx.extend([database_ctx, gateway_ctx, inbox_ctx])
    app.router.add_post("/callback", callback)
    app.router.add_post("/callback/{channel}", callback)
    app.router.add_get("/healthz", healthz)
    return app


def retry_schedule(settings: Settings) -> RetrySchedule:
    return RetrySchedule(base_delay=settings.outbox_retry_base_seconds, max_delay=settings.outbox_retry_max_seconds,
                         give_up=timedelta(hours=settings.outbox_give_up_hours))


def client_address_middleware(proxies: TrustedProxies) -> Any:
    """Every handler (sub-apps included) sees the client behind trusted proxies as ``request.remote``."""

    @web.middleware
    async def middleware(request: web.Request, handler: Any) -> web.StreamResponse:
        forwarded = request.headers.getall("X-Forwarded-For", [])
        if forwarded:
            client = proxies.client_of(request.remote, forwarded)
            if client is not None and client != request.remote:  # None only when the peer is unknown
                request = request.clone(remote=client)
        return await handler(request)

    return middleware


async def healthz(request: web.Request) -> web.Response:
    """``backlog``: inbox events waiting for their turn here; ``outbox``: answers not yet delivered
    to LINE (``pending``, ``oldest_pending_seconds``)."""
    dispatcher = request.app.get(DISPATCHER)
    outbox = await outbox_backlog(request.app[DATABASE], request.app[CLOCK])
    return web.json_response({"status": "ok", "backlog": dispatcher.backlog if dispatcher else None,
                              "outbox": outbox.as_json()})
