"""Typed application keys of the service app (aiohttp ``web.AppKey``), in one place.

Every key the service app (``bot.app`` / ``bot.service``) stores lives here; the admin
sub-app keeps its own keys in ``admin_api.keys`` and each LIFF sub-app its own, since those
packages do not import ``bot``.  Value types are imported for type checking only, so this
module imports nothing that imports it back.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Protocol

from aiohttp import web

if TYPE_CHECKING:
    from linebot.v3.webhook import WebhookParser

    from bot.app import Role
    from bot.content_install import StartupContent
    from bot.delivery_scheduler import DeliveryScheduler
    from bot.gateway import LineGateway
    from bot.inbox.writer import Accepted, InboxWriter
    from bot.mail_receiver import MailReceiver
    from bot.menu_relink import MenuRelinker
    from bot.notifier import OutboxNotifier
    from bot.outbox.sender import OutboxSender
    from bot.scheduler import Schedule
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
DATABASE: web.AppKey[Database] = web.AppKey("database")
#: The inbox store (``bot.inbox.models``): the same object as ``DATABASE`` when they share a URL.
INBOX_DATABASE: web.AppKey[Database] = web.AppKey("inbox_database")

# -- LINE edge: webhook, inbox, outbox ------------------------------------------------------
GATEWAY: web.AppKey[LineGateway] = web.AppKey("gateway")
PARSERS: web.AppKey[dict[str, WebhookParser]] = web.AppKey("parsers")
INBOX_WRITER: web.AppKey[InboxWriter] = web.AppKey("inbox_writer")
DISPATCHER: web.AppKey[EventQueue] = web.AppKey("dispatcher")
SENDER: web.AppKey[OutboxSender] = web.AppKey("sender")

# -- civic services and content ---------------------------------------------------------------
STAFF_SESSIONS: web.AppKey[StaffSessions] = web.AppKey("staff_sessions")
PUBLISHER: web.AppKey[RichMenuPublisher] = web.AppKey("richmenu_publisher")
SCHEDULE: web.AppKey[Schedule] = web.AppKey("schedule")
KNOWLEDGE: web.AppKey[Knowledge] = web.AppKey("knowledge")
STARTUP_CONTENT: web.AppKey[StartupContent] = web.AppKey("startup_content")
#: Set before the app starts (``bot.service.build_service``): the booking and 手続きナビ flows use them.
BOOKING: web.AppKey[BookingService] = web.AppKey("booking_service")
PROCEDURES: web.AppKey[ProcedureContent] = web.AppKey("procedures_content")

# -- conversation ------------------------------------------------------------------------------
#: The service's dialogue parts, for sub-apps that answer like the bot (web chat) or notify citizens.
DIALOGUE_SERVICES: web.AppKey[Services] = web.AppKey("dialogue_services")
DIALOGUE_HANDLER: web.AppKey[DialogueHandler] = web.AppKey("dialogue_handler")
NOTIFIER: web.AppKey[OutboxNotifier] = web.AppKey("notifier")
#: Per-segment rich menus relinked after a turn's form answers commit (absent: no relinking).
MENU_RELINKER: web.AppKey[MenuRelinker] = web.AppKey("menu_relinker")

# -- background jobs ---------------------------------------------------------------------------
DELIVERY_SCHEDULER: web.AppKey[DeliveryScheduler] = web.AppKey("delivery_scheduler")
MAIL_RECEIVER: web.AppKey[MailReceiver] = web.AppKey("mail_receiver")
