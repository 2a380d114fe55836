"""Typed application keys of the service app (aiohttp ``web.AppKey``), in one place.

The rule: every key of the service app lives here and is set only by the composition root
(``bot.service``) — the built parts when it builds them, the opened ones (``SENDER``,
``DISPATCHER``, ``INBOX_WRITER``) by its lifespan as it opens them. A sub-app keeps the keys of its
own application in its own package (``admin_api.keys``; ``liff.page`` for what every LIFF page
shares, and one ``…Deps`` key per page), because ``admin_api`` and ``liff`` must not import
``bot``; no key is defined twice. Value types are imported for type checking only, so this module
imports nothing that imports it back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Protocol

from aiohttp import web

if TYPE_CHECKING:
    from linebot.v3.webhook import WebhookParser

    from bot.content_install import StartupContent
    from bot.inbox.writer import Accepted, InboxWriter
    from bot.menu_relink import MenuRelinker
    from bot.metrics import Metrics
    from bot.notifier import OutboxNotifier
    from bot.outbox.sender import OutboxSender
    from bot.scheduler import Schedule
    from bot.service import Role
    from bot.settings import Settings
    from civic.booking.services import BookingService
    from civic.clock import Clock
    from civic.database import Database
    from civic.procedures.tree import Content as ProcedureContent
    from civic.staff.sessions import StaffSessions
    from dialogues.handler import DialogueHandler
    from dialogues.services import Knowledge, Services
    from richmenus.publish import RichMenuPublisher


class EventQueue(Protocol):
    """Where the webhook hands newly stored events: the inbox dispatcher, or the link to the worker."""

    def submit(self, accepted: Iterable[Accepted]) -> None: ...

    @property
    def backlog(self) -> int: ...

    async def wait_idle(self) -> None: ...


# -- process and stores -------------------------------------------------------------------
ROLE: web.AppKey[Role] = web.AppKey("role")
SETTINGS: web.AppKey[Settings] = web.AppKey("settings")
CLOCK: web.AppKey[Clock] = web.AppKey("clock")
#: Counters and histograms for ``/metrics`` (``bot.metrics``), one per process.
METRICS: web.AppKey[Metrics] = web.AppKey("metrics")
DATABASE: web.AppKey[Database] = web.AppKey("database")
#: The inbox store (``bot.inbox.models``): the same object as ``DATABASE`` when they share a URL.
INBOX_DATABASE: web.AppKey[Database] = web.AppKey("inbox_database")

# -- LINE edge: webhook, inbox, outbox ------------------------------------------------------
PARSERS: web.AppKey[dict[str, WebhookParser]] = web.AppKey("parsers")
INBOX_WRITER: web.AppKey[InboxWriter] = web.AppKey("inbox_writer")
DISPATCHER: web.AppKey[EventQueue] = web.AppKey("dispatcher")
SENDER: web.AppKey[OutboxSender] = web.AppKey("sender")
#: "Something may be due now" for the delivery scheduler, wherever it runs (``Core.wake_deliveries``).
WAKE_DELIVERIES: web.AppKey[Callable[[], None]] = web.AppKey("wake_deliveries")

# -- civic services and content ---------------------------------------------------------------
STAFF_SESSIONS: web.AppKey[StaffSessions] = web.AppKey("staff_sessions")
PUBLISHER: web.AppKey[RichMenuPublisher] = web.AppKey("richmenu_publisher")
SCHEDULE: web.AppKey[Schedule] = web.AppKey("schedule")
KNOWLEDGE: web.AppKey[Knowledge] = web.AppKey("knowledge")
STARTUP_CONTENT: web.AppKey[StartupContent] = web.AppKey("startup_content")
#: The services the booking and 手続きナビ flows use (``bot.service.Core``).
BOOKING: web.AppKey[BookingService] = web.AppKey("booking_service")
PROCEDURES: web.AppKey[ProcedureContent] = web.AppKey("procedures_content")

# -- conversation ------------------------------------------------------------------------------
#: The service's dialogue parts, for sub-apps that answer like the bot (web chat) or notify citizens.
DIALOGUE_SERVICES: web.AppKey[Services] = web.AppKey("dialogue_services")
DIALOGUE_HANDLER: web.AppKey[DialogueHandler] = web.AppKey("dialogue_handler")
NOTIFIER: web.AppKey[OutboxNotifier] = web.AppKey("notifier")
#: Per-segment rich menus relinked after a turn's form answers commit (absent: no relinking).
MENU_RELINKER: web.AppKey[MenuRelinker] = web.AppKey("menu_relinker")
