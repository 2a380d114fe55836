"""The composition root: the one module that builds the service, and the one exit stack it runs on.

``build_service(settings, role=…)`` is what ``python -m bot serve``, ``python -m bot worker`` and
``python -m bot demo`` run; ``create_app(settings, handler_factory=…)`` is the same spine with a
turn handler of the caller's and no features (the spine's own tests, benchmarks). Read it top to
bottom to find where a dependency is built:

1. ``Core`` — what every role builds, without I/O: settings, clock, the database (and the inbox
   store), the notifier, one ``BookingService``, the 手続きナビ content, the rich-menu publisher and
   relinker. The LINE gateway, the outbox sender and the delivery scheduler need a running event
   loop: ``Core`` holds them as ``Opened[...]`` (a small typed provider; ``get()`` before start is
   an error) and ``Lifespan`` opens them.
2. the turn handler (``dialogue_handler``) on the core — built before start, so the web chat holds it.
3. ``spine`` — the aiohttp app (``/callback``, ``/healthz``) and its ``Lifespan``: one
   ``contextlib.AsyncExitStack``, driven by aiohttp's ``cleanup_ctx``, that opens the databases,
   the gateway, the sender, the inbox dispatcher (or the link to the worker) and whatever the
   features add, in that order, and closes them in reverse.
4. ``mount_pages`` and ``start_jobs`` — the web (or inline) process only: the staff API and console,
   the LIFF pages, map, web chat, Open311, click tracking; deliveries, mail, content, scheduled jobs.
   The worker (``Role.WORKER``) builds none of them: the role chooses what is mounted and started.

App keys (``bot.appkeys``) are set here and nowhere else: the built parts when they are built, the
opened ones (``SENDER``, ``DISPATCHER``, ``INBOX_WRITER``) by the lifespan as it opens them.

Who commits a transaction: the edge — a turn (``bot.turn``), an admin view, a LIFF view or a
scheduled job opens ``db.write()``; civic services take its session.

=================  ==============================================================
``/callback``      LINE webhook (``/callback/test`` for the test account)
``/admin/api/v1``  staff API (OpenAPI at ``/admin/api/v1/openapi.json``); ``/admin/`` the console
``/liff/booking``  facility booking page (LIFF)
``/liff/procedures``  手続きナビ page and the staff counter page
``/liff/map``      facility map; ``/liff/webchat`` the web chat; ``/open311/v2`` GeoReport v2
``/api/nlu/parse`` the NLU's Rasa-shaped parse result, for the web
``/liff/forms``    registration forms and delivery settings (LIFF); ``/r/<token>`` click tracking
``/liff/mypage``   the citizen's my-page (LIFF, and the web by e-mail sign-in)
=================  ==============================================================
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import timedelta
from enum import Enum
from typing import Any, Generic, TypeVar

from aiohttp import web
from linebot.v3.webhook import WebhookParser

from admin_api import (
    attribute_views,
    booking_views,
    citizen_search_views,
    delivery_views,
    disaster_views,
    facility_views,
    faq_entry_views,
    faq_views,
    garbage_views,
    handover_stream,
    handover_views,
    image_views,
    log_views,
    mail_views,
    maintenance_views,
    monthly_report_views,
    nlu_views,
    procedure_tree_views,
    procedure_views,
    recommendation_views,
    report_views,
    richmenu_views,
    safety_views,
    scenario_views,
    segment_views,
    staff_views,
    stats_views,
    two_factor_views,
    unanswered_views,
)
from admin_api.address_allow_list import admin_allow_list_middleware
from admin_api.app import PREFIX, create_admin_app
from admin_api.context import AdminContext
from admin_api.delivery_views import create_redirect_app
from admin_api.image_views import MEDIA, create_media_app
from admin_api.open311 import create_open311_app
from admin_api.routing import ApiRouter
from admin_api.staff_auth import StaffAuthenticator
from bot.app import client_address_middleware, healthz, nlu_parse_view
from bot.appkeys import (
    BOOKING,
    CLOCK,
    DATABASE,
    DIALOGUE_HANDLER,
    DIALOGUE_SERVICES,
    DISPATCHER,
    INBOX_DATABASE,
    INBOX_WRITER,
    KNOWLEDGE,
    MENU_RELINKER,
    METRICS,
    NOTIFIER,
    PARSERS,
    PROCEDURES,
    PUBLISHER,
    ROLE,
    SCHEDULE,
    SENDER,
    SETTINGS,
    STAFF_SESSIONS,
    STARTUP_CONTENT,
    WAKE_DELIVERIES,
)
from bot.backup.daily import CHECK_SECONDS as BACKUP_CHECK_SECONDS
from bot.backup.daily import daily_backup
from bot.circuit import BreakerPolicy
from bot.citizen_erasure import citizen_erasure_router
from bot.content_install import INSTALL_LOCK, StartupContent, installing_content
from bot.content_reload import RELOADER, ContentReloader, LiveFaqQuestions, refresh_labels
from bot.delivery_scheduler import DeliveryScheduler, running_deliveries
from bot.dialogue_wiring import (
    build_knowledge,
    map_tiles,
    open311_policy,
    personal_data_redactor,
    purge_report_drafts,
    report_settings,
)
from bot.gateway import LineGateway
from bot.group_chats import GroupPolicy
from bot.health import metrics_view, readyz, register_readings
from bot.help_responder import MENU, HelpResponder, help_message, welcome_text
from bot.inbox.dispatcher import InboxDispatcher
from bot.inbox.shared import CHANNEL as SHARED_CHANNEL
from bot.inbox.shared import SharedInbox
from bot.inbox.worker_link import WorkerLink
from bot.inbox.worker_pool import WorkerPool
from bot.inbox.writer import InboxWriter
from bot.insight import LineOpenStatistics
from bot.logs import access_log_middleware
from bot.mail_receiver import receiving_mail
from bot.mail_sender import MailSender, SmtpConfig, receiving_bounces, sending_mail
from bot.maintenance import DuringMaintenance, banner_script, maintenance_view
from bot.menu_relink import MenuRelinker
from bot.metrics import Metrics
from bot.mypage_wiring import after_self_erasure, purge_mypage_sign_ins
from bot.notifier import OutboxNotifier, ProcedureResults
from bot.outbox.sender import OutboxSender, RetrySchedule
from bot.procedure_reload import ProcedureSource
from bot.retention import enforce_retention
from bot.scheduler import Schedule, running
from bot.settings import PRODUCTION, TEST, Settings
from bot.turn import HandlerWrapper, Turn, TurnHandler, TurnProcessor
from bot.webhook import callback
from civic.attributes.catalogue import install_town
from civic.booking.services import BookingService
from civic.booking.tasks import expire_offers, send_reminders
from civic.client_address import TrustedProxies
from civic.clock import Clock, SystemClock
from civic.database import Database
from civic.deliveries.services import DeliveryConfig, DeliveryDesk
from civic.locks import in_transaction
from civic.mypage.notices import MailSettings, MyPageNotifier
from civic.procedures.editing import PROCEDURES as PROCEDURE_TREES
from civic.procedures.kana import SudachiKanaReader
from civic.procedures.loader import load_content
from civic.procedures.payload import QrKeyring
from civic.procedures.services import DraftStore
from civic.procedures.tasks import wipe_idle_drafts
from civic.procedures.tree import Content as ProcedureContent
from civic.reports.photos import PhotoPolicy
from civic.segments.services import SegmentMembers
from civic.staff.audit import Auditor
from civic.staff.sessions import StaffSessions
from civic.staff.tasks import purge_login_throttle, purge_sessions
from console.app import add_console_routes
from dialogues.engine import DEFAULT_TIMEOUT
from dialogues.handler import MENU_ACTIONS, DialogueHandler
from dialogues.services import Knowledge, Services
from liff.booking.app import BookingDeps, create_booking_liff_app
from liff.forms.app import FormsDeps, create_forms_liff_app
from liff.identity import HttpIdTokenVerifier
from liff.map import create_map_app
from liff.mypage.app import create_mypage_app
from liff.mypage.deps import MyPageDeps
from liff.page import LiffPage
from liff.procedures.app import create_procedures_app
from liff.webchat import create_webchat_app
from liff.webchat.app import CHANNEL as WEBCHAT
from richmenus.editor import EditorOptions
from richmenus.line_api import GatewayLineApis
from richmenus.modes import DisasterSwitch, ModeMenus
from richmenus.publish import RichMenuPublisher
from richmenus.taps import is_switch_data, record_tap

log = logging.getLogger(__name__)
T = TypeVar("T")


class Role(Enum):
    """``INLINE`` — everything in one process: webhook, turns, answers (tests, the demo,
    ``serve --single-process``); ``WEB`` — the HTTP side: webhooks are verified, stored and
    acknowledged, and a child process started with ``worker_command`` runs the turns (``serve``;
    see ``bot.inbox.worker_link``); ``WORKER`` — that child: the inbox dispatcher, the turns and
    their answers (``bot.worker``), and no HTTP features."""

    INLINE = "inline"
    WEB = "web"
    WORKER = "worker"


class Opened(Generic[T]):
    """A resource the lifespan opens when the app starts (it needs the running event loop).

    Parts built before start hold this typed provider and call ``get()`` when they use the resource
    (``GatewayLineApis(core.gateway.get)``); ``peek()`` is None until it is open."""

    def __init__(self, what: str) -> None:
        self.what = what
        self._value: T | None = None

    def open(self, value: T) -> T:
        self._value = value
        return value

    def get(self) -> T:
        if self._value is None:
            raise RuntimeError(f"{self.what} is not open: the service has not started")
        return self._value

    def peek(self) -> T | None:
        return self._value


class Core:
    """What every role builds, once, without I/O. ``booking``, ``procedures`` and ``menus`` are the
    dialogue features' services: ``build_service`` asks for all of them; a test town for fewer."""

    def __init__(self, settings: Settings, *, role: Role = Role.INLINE, clock: Clock | None = None,
                 booking: bool = False, procedures: ProcedureContent | None = None, menus: bool = False) -> None:
        self.settings, self.role = settings, role
        self.clock: Clock = clock or SystemClock()
        # The worker's statements run on its loop's thread (no HTTP to keep responsive there).
        self.db = Database(settings.database_url, settings.cipher(), inline=role is Role.WORKER)
        self.inbox_db = (self.db if settings.inbox_url == settings.database_url
                         else Database(settings.inbox_url, settings.cipher()))
        self.gateway: Opened[LineGateway] = Opened("the LINE gateway")
        self.sender: Opened[OutboxSender] = Opened("the outbox sender")
        self.deliveries: Opened[DeliveryScheduler] = Opened("the delivery scheduler")
        #: The web role's turn worker(s): they run the delivery scheduler (``wake_deliveries``).
        self.workers: Opened[WorkerLink | WorkerPool] = Opened("the turn workers")
        #: ``/metrics``: this process's counters (web and worker add up, ``bot.metrics``).
        self.metrics = Metrics()
        self.notifier = OutboxNotifier(self.sender.peek, self.clock, self.channels, fetched=frozenset({WEBCHAT}))
        #: Notices also land in the my-page and go by e-mail to those who chose it (``civic.mypage``).
        self.notices = MyPageNotifier(self.notifier, self.clock, MailSettings(public_base_url=settings.public_base_url))
        smtp = SmtpConfig.from_url(settings.smtp_url, settings.mail_from)
        self.mail_sender = MailSender(self.db, self.clock, smtp) if smtp is not None else None
        self.booking = BookingService(self.db, self.clock, self.notices) if booking else None
        self.procedures = procedures
        self.publisher: RichMenuPublisher | None = None
        self.menus: MenuRelinker | None = None
        if menus:
            self.publisher = RichMenuPublisher(self.db, self.clock, GatewayLineApis(self.gateway.get), {
                PRODUCTION: SegmentMembers(self.db, self.clock),
                TEST: SegmentMembers(self.db, self.clock, audience="test")})
            # A citizen's answers relink their per-segment menu: on the LIFF page after saving, in
            # the chat once the turn has committed (the form flow; every role).
            self.menus = MenuRelinker(self.publisher.relink_citizen)

    def channels(self) -> list[str]:
        """The LINE accounts answers can go through: the open gateway's, else the settings'."""
        gateway = self.gateway.peek()
        return gateway.channels if gateway is not None else list(self.settings.accounts)

    def wake_deliveries(self) -> None:
        """Something may be due now (staff sent "now"): the delivery scheduler looks at once — here
        (inline, or the turn worker that runs it), or, from the web process, told over the pipe to
        its turn worker (``start_jobs``: deliveries are not sent from the process that acknowledges
        webhooks, issue #19)."""
        scheduler = self.deliveries.peek()
        if scheduler is not None:
            scheduler.wake()
            return
        workers = self.workers.peek()
        if workers is not None:
            workers.wake_deliveries()


HandlerFactory = Callable[[Core], TurnHandler]
Step = Callable[[contextlib.AsyncExitStack[Any]], Awaitable[None]]


class Lifespan:
    """The app's one ``cleanup_ctx``: every step opens its resources on one ``AsyncExitStack`` (in
    the order added) and registers their closing; leaving closes them in reverse order, and a step
    that fails at start closes the ones already open."""

    def __init__(self) -> None:
        self.steps: list[Step] = []

    def add(self, step: Step) -> None:
        self.steps.append(step)

    def enter(self, opening: Callable[[], contextlib.AbstractAsyncContextManager[Any]]) -> None:
        """A step that enters the async context manager ``opening()`` returns."""

        async def step(stack: contextlib.AsyncExitStack[Any]) -> None:
            await stack.enter_async_context(opening())

        self.add(step)

    async def __call__(self, app: web.Application) -> AsyncIterator[None]:
        async with contextlib.AsyncExitStack() as stack:
            for step in self.steps:
                await step(stack)
            yield


def retry_schedule(settings: Settings) -> RetrySchedule:
    return RetrySchedule(base_delay=settings.outbox_retry_base_seconds, max_delay=settings.outbox_retry_max_seconds,
                         give_up=timedelta(hours=settings.outbox_give_up_hours))


def spine(core: Core, handler: TurnHandler, *, gateway: LineGateway | None = None,
          worker_command: Sequence[str] = ()) -> tuple[web.Application, Lifespan]:
    """The LINE edge every role runs: webhook, inbox, turns, outbox. Features add steps to the
    returned ``Lifespan`` (before the app starts)."""
    settings, role, clock = core.settings, core.role, core.clock
    shared = settings.instance_mode == "shared"
    if role is Role.WEB and not worker_command:
        raise ValueError("the web role needs the command that starts its turn worker")
    middlewares = [client_address_middleware(TrustedProxies(settings.trusted_proxies))] if settings.trusted_proxies else []
    middlewares.append(access_log_middleware())  # after the client address is known, before any refusal
    if settings.admin_allowed_networks:  # after the client address is known
        middlewares.append(admin_allow_list_middleware(settings.admin_allowed_networks))
    app = web.Application(client_max_size=16 * 1024 * 1024, middlewares=middlewares)
    app[ROLE], app[SETTINGS], app[CLOCK] = role, settings, clock
    app[PARSERS] = {name: WebhookParser(a.channel_secret) for name, a in settings.accounts.items()}
    app[DATABASE], app[INBOX_DATABASE], app[NOTIFIER] = core.db, core.inbox_db, core.notifier
    app[METRICS] = metrics = core.metrics
    app[WAKE_DELIVERIES] = core.wake_deliveries
    if role is not Role.WORKER:
        register_readings(metrics, app)
        # The maintenance notice the LIFF pages and the web chat show in advance (bot.maintenance).
        app.router.add_get("/api/maintenance", maintenance_view(core.db, clock))
        app.router.add_get("/api/maintenance.js", banner_script)

    async def stores(stack: contextlib.AsyncExitStack[Any]) -> None:
        stack.push_async_callback(core.db.dispose)
        if core.inbox_db is not core.db:
            stack.push_async_callback(core.inbox_db.dispose)

    async def line(stack: contextlib.AsyncExitStack[Any]) -> None:
        opened = core.gateway.open(gateway or LineGateway(
            settings.accounts, max_concurrency=settings.worker_concurrency,
            breaker=BreakerPolicy(failures=settings.line_breaker_failures, max_open=settings.line_breaker_max_seconds)))
        stack.push_async_callback(opened.close)
        opened.on_call.append(lambda outcome, status: metrics.gateway_calls.labels(outcome, str(status or "-")).inc())
        # Every role sends: the web process sends what staff and LIFF pages notify citizens of.
        sender = app[SENDER] = core.sender.open(OutboxSender(
            core.db, opened, clock, reply_token_ttl=settings.reply_token_ttl_seconds, retry=retry_schedule(settings)))
        stack.push_async_callback(sender.close)
        app[INBOX_WRITER] = InboxWriter(core.inbox_db, clock, notify=SHARED_CHANNEL if shared else "")

    async def turns(stack: contextlib.AsyncExitStack[Any]) -> None:
        sender = core.sender.get()
        if role is Role.WEB:
            link: WorkerLink | WorkerPool = (WorkerPool(worker_command, settings.workers) if settings.workers > 1
                                             else WorkerLink(worker_command, announce=not shared))
            app[DISPATCHER] = core.workers.open(link)
            await link.start()
            stack.push_async_callback(link.stop)
            return
        processor = TurnProcessor(core.db, clock, DuringMaintenance(handler), sender, core.gateway.get(),
                                  GroupPolicy(settings.group_policy))
        dispatcher = InboxDispatcher(core.db, core.inbox_db, processor, batch_size=settings.worker_concurrency)
        queue = SharedInbox(core.db, dispatcher) if shared else dispatcher
        app[DISPATCHER] = queue
        dispatcher.on_finished = lambda accepted_at: metrics.turn_seconds.observe(
            max(0.0, (clock.now() - accepted_at).total_seconds()))
        stack.push_async_callback(queue.stop)
        resent = await sender.resend_unsent()
        if isinstance(queue, SharedInbox):  # the partitions it wins are its work (bot.inbox.shared)
            if role is Role.INLINE:
                await queue.start()
        elif role is Role.INLINE:  # a worker resumes once its link to the web process is up (bot.worker)
            resumed = await dispatcher.resume_unfinished()
            if resent or resumed:
                log.info("after restart: %d answers resent, %d events resumed", resent, len(resumed))
        retries = asyncio.get_running_loop().create_task(sender.run_retries())

        async def stop_retries() -> None:  # awaited: a pass cut off mid-query must end before disposal
            retries.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await retries

        stack.push_async_callback(stop_retries)

    lifespan = Lifespan()
    for step in (stores, line, turns):
        lifespan.add(step)
    app.cleanup_ctx.append(lifespan)
    app.router.add_post("/callback", callback)
    app.router.add_post("/callback/{channel}", callback)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics_view)
    return app, lifespan


def create_app(settings: Settings, *, clock: Clock | None = None, handler_factory: HandlerFactory | None = None,
               gateway: LineGateway | None = None, role: Role = Role.INLINE, worker_command: Sequence[str] = (),
               core: Core | None = None) -> web.Application:
    """The spine alone, answering with ``handler_factory(core)`` (default: the help menu)."""
    core = core or Core(settings, role=role, clock=clock)
    handler = handler_factory(core) if handler_factory is not None else HelpResponder()
    app, _ = spine(core, handler, gateway=gateway, worker_command=worker_command)
    if isinstance(handler, DialogueHandler):
        app[DIALOGUE_HANDLER], app[DIALOGUE_SERVICES] = handler, handler.services
    if core.booking is not None:
        app[BOOKING] = core.booking
    if core.publisher is not None and core.menus is not None:
        app[PUBLISHER], app[MENU_RELINKER] = core.publisher, core.menus
    return app


def dialogue_handler(knowledge: Knowledge, *, timeout: timedelta = DEFAULT_TIMEOUT,
                     photo_policy: PhotoPolicy | None = None) -> Callable[[Core], DialogueHandler]:
    """The dialogues on a core: ``create_app(settings, handler_factory=dialogue_handler(knowledge))``."""

    def build(core: Core) -> DialogueHandler:
        settings = core.settings
        services = Services(knowledge, notifier=core.notifier, photo_policy=photo_policy or PhotoPolicy(),
                            timeout=timeout, public_base_url=settings.public_base_url, clock=core.clock,
                            booking=core.booking, procedures=core.procedures, menus=core.menus,
                            liff_ids=dict(settings.liff_ids), policy=settings.confidence)
        return DialogueHandler(services, help_message=functools.partial(help_message, town=knowledge.town.name),
                               welcome=welcome_text(knowledge.town.name),
                               menu_texts={text: action for (_, text), action in zip(MENU, MENU_ACTIONS, strict=True)})

    return build


class RichMenuTaps(HandlerWrapper):
    """Counts rich-menu taps (postback data of published areas) and keeps tab switches silent:
    LINE already switched the menu, there is nothing to answer."""

    async def handle(self, turn: Turn) -> None:
        postback = turn.postback
        if postback is not None and turn.user_id:
            data = str(postback.get("data", ""))
            await record_tap(turn.session, turn.user_id, data, turn.now)
            if is_switch_data(data):
                return
        await self.inner.handle(turn)


def build_service(settings: Settings, *, clock: Clock | None = None, knowledge: Knowledge | None = None,
                  gateway: LineGateway | None = None, role: Role = Role.INLINE,
                  worker_command: Sequence[str] = (), install_content: bool = True,
                  deliveries: bool = True) -> web.Application:
    """The service in ``role``. A ``WORKER`` app mounts no HTTP feature and starts no scheduled job,
    mail receiver or content install: its web process does; but it sends the deliveries (unless
    ``deliveries=False``: the other workers of a ``WORKERS=N`` pool), so that a city's delivery never
    runs on the event loop that acknowledges webhooks (issue #19). ``install_content=False`` leaves
    the town's facilities and first rich menus to the caller (the demo seeds them itself)."""
    knowledge = knowledge or build_knowledge(settings, model_dir=settings.nlu_model_dir)
    procedures = load_content(settings.town_dir / "procedures")
    core = Core(settings, role=role, clock=clock, booking=True, procedures=procedures, menus=True)
    assert core.booking is not None and core.publisher is not None and core.menus is not None
    handler = dialogue_handler(knowledge, timeout=timedelta(minutes=settings.dialogue_timeout_minutes))(core)
    app, lifespan = spine(core, RichMenuTaps(handler), gateway=gateway, worker_command=worker_command)
    app[KNOWLEDGE], app[DIALOGUE_HANDLER], app[DIALOGUE_SERVICES] = knowledge, handler, handler.services
    app[BOOKING], app[PROCEDURES] = core.booking, procedures
    app[PUBLISHER], app[MENU_RELINKER] = core.publisher, core.menus
    relinker = core.menus

    async def drain_menu_relinks(stack: contextlib.AsyncExitStack[Any]) -> None:
        async def drain() -> None:  # at shutdown, the relinks under way get a few seconds to finish
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(relinker.drain(), timeout=10)

        stack.push_async_callback(drain)

    lifespan.add(drain_menu_relinks)
    # FAQ and garbage dictionary edited live: every process polls the content versions (issue #16).
    reloader = app[RELOADER] = ContentReloader(core.db, core.clock, knowledge, settings.town_dir,
                                               seed=role is not Role.WORKER)
    reloader.extras[PROCEDURE_TREES] = ProcedureSource(core.db, core.clock, procedures, settings.town_dir / "procedures")
    lifespan.enter(reloader.running)
    drafts_idle = timedelta(minutes=15)
    app[SCHEDULE] = schedule = scheduled_jobs(core, drafts_idle)
    if role is not Role.WORKER:
        mount_pages(app, lifespan, core, knowledge, handler, drafts_idle=drafts_idle)
        start_jobs(app, lifespan, core, schedule, install_content=install_content)
    elif deliveries:
        lifespan.add(open_deliveries(core))
    return app


def mount_pages(app: web.Application, lifespan: Lifespan, core: Core, knowledge: Knowledge,
                handler: DialogueHandler, *, drafts_idle: timedelta) -> None:
    """Every HTTP feature of the web (or inline) process: LIFF pages, map, web chat, Open311, the
    NLU parse endpoint, the staff API and console, click tracking."""
    settings, db, clock, town = core.settings, core.db, core.clock, knowledge.town
    assert core.booking is not None and core.procedures is not None and core.publisher is not None
    if not settings.line.liff_channel_id:
        log.warning("LIFF_CHANNEL_ID is not set (nor LIFF_ID_*): the booking and forms pages cannot tell "
                    "who a citizen is and answer 401 (see .env.example)")
    verifier = HttpIdTokenVerifier(settings.line.api_base_url, settings.line.liff_channel_id)

    async def close_verifier(stack: contextlib.AsyncExitStack[Any]) -> None:
        stack.push_async_callback(verifier.close)

    lifespan.add(close_verifier)
    sessions = app[STAFF_SESSIONS] = StaffSessions(db, clock)
    authenticator = StaffAuthenticator(sessions)
    auditor = Auditor(db, clock)  # one: the staff API and the counter page write the operation log through it
    redactor = personal_data_redactor(knowledge)  # names (SudachiPy's 人名) and numbers, for staff without personal.view
    qr_keys = QrKeyring(settings.qr_key_bytes())

    # -- citizens' pages (LIFF and web) ------------------------------------------------------------
    app.add_subapp("/liff/booking", create_booking_liff_app(
        BookingDeps(db, clock, core.booking), verifier, LiffPage.of(settings.liff_ids.get("booking", ""), "施設予約")))
    app.add_subapp("/liff/forms", create_forms_liff_app(
        FormsDeps(db, clock, on_saved=core.publisher.relink_citizen), verifier,
        LiffPage.of(settings.liff_ids.get("forms", ""), f"{town.name} 受信設定")))
    app.add_subapp("/liff/procedures", create_procedures_app(
        db=db, clock=clock, content=core.procedures, qr_keys=qr_keys, authenticator=authenticator,
        auditor=auditor,  # counter openings land in the operation log (小郡市 §12(4))
        kana_reader=SudachiKanaReader(), id_token_verifier=verifier,
        result_notifier=ProcedureResults(core.notifier, db), idle=drafts_idle,
        page=LiffPage.of(settings.liff_ids.get("procedures", ""), ""), staff_login_url=f"{PREFIX}/auth/login"))
    if knowledge.facilities is not None:
        app.add_subapp("/liff/map", create_map_app(
            db, clock, knowledge.facilities, town=town.name, center=(town.area.latitude, town.area.longitude),
            tiles=map_tiles(settings)))
    mail_sender = core.mail_sender
    app.add_subapp("/liff/mypage", create_mypage_app(MyPageDeps(
        db, clock, core.booking, verifier, line=core.notifier,
        mail=MailSettings(town.name, settings.public_base_url), issuer=f"{town.name} マイページ",
        secure_cookies=settings.public_base_url.startswith("https://"),
        wake_mail=mail_sender.wake if mail_sender is not None else None,
        after_erasure=after_self_erasure(core.inbox_db, core.publisher)),
        LiffPage.of(settings.liff_ids.get("mypage", ""), "マイページ")))
    app.add_subapp("/liff/webchat", create_webchat_app(DuringMaintenance(handler), db, clock, title=f"{town.name} よくある質問",
                                                        shared=settings.instance_mode == "shared"))
    app.add_subapp("/open311/v2", create_open311_app(
        db, clock, categories={c.code: c.label for c in town.report_categories}, api_keys=settings.open311_api_keys,
        town=town.name, policy=open311_policy(settings, knowledge), redact=redactor))
    app.router.add_post("/api/nlu/parse", nlu_parse_view(knowledge, clock))

    # -- staff: the admin API, the console, click tracking ----------------------------------------------
    add_console_routes(app, tile_origin=map_tiles(settings).origin)  # the staff console at /admin/ (inbox map tiles)
    context = admin_context(core, knowledge, sessions, auditor, qr_keys)
    if RELOADER in app:
        context.live_content = app[RELOADER]
        app[RELOADER].on_swap = refresh_labels(context, knowledge)
    app.add_subapp(PREFIX, create_admin_app(authenticator, admin_routers(core), context=context, redactor=redactor))
    app.add_subapp("/r", create_redirect_app(db, clock))
    app.add_subapp(MEDIA, create_media_app(db))


def admin_routers(core: Core) -> list[ApiRouter]:
    """Every staff API router: module-level routers whose views read the ``AdminContext`` built by
    ``admin_context`` (``call.ctx``), never arguments captured in a closure (citizen erasure, merged
    later, is still a small factory)."""
    assert core.publisher is not None
    return [
        attribute_views.router,
        segment_views.router,
        delivery_views.router,
        mail_views.router,
        image_views.router,  # images for deliveries, served at /media
        staff_views.router,
        two_factor_views.router,
        citizen_erasure_router(core.db, core.inbox_db, core.clock, core.publisher),
        citizen_search_views.router,  # the 個人データ削除 screen finds the citizen
        log_views.router,
        stats_views.router,
        richmenu_views.router,
        facility_views.router,
        booking_views.router,
        procedure_views.router,
        report_views.router,
        faq_views.router,
        faq_entry_views.router,
        procedure_tree_views.router,  # 手続きナビの編集 (issue #16)
        unanswered_views.router,
        garbage_views.router,
        nlu_views.router,
        scenario_views.router,
        maintenance_views.router,
        disaster_views.router,
        handover_views.router,
        safety_views.router,
        monthly_report_views.router,  # 月次報告 (issue #16)
        recommendation_views.router,  # マイページのおすすめ (issue #20)
    ]


def admin_context(core: Core, knowledge: Knowledge, sessions: StaffSessions, auditor: Auditor,
                  qr_keys: QrKeyring) -> AdminContext:
    """What the staff API's views depend on, built once (``Call.ctx``)."""
    assert core.booking is not None and core.publisher is not None and core.procedures is not None
    return AdminContext(core.db, core.clock, auditor=auditor, booking_notices=core.notifier,
                        booking_service=core.booking, reports=report_settings(knowledge, core.notices, map_tiles(core.settings)),
                        sessions=sessions, line_apis=GatewayLineApis(core.gateway.get),  # LINE's own figures
                        procedures=core.procedures, qr_keys=qr_keys, publisher=core.publisher,
                        faq_questions=LiveFaqQuestions(knowledge),  # the index in use, not a copy of the start-up one
                        faq_ids=frozenset(knowledge.faq_entries),
                        delivery_desk=delivery_desk(core.settings), wake_deliveries=core.wake_deliveries,
                        delivery_opens=LineOpenStatistics(core.gateway.get),  # LINE's open counts
                        public_base_url=core.settings.public_base_url,  # image URLs (served at /media)
                        editor_options=EditorOptions(core.settings.simulator_url, core.settings.liff_ids),
                        totp_issuer=f"{knowledge.town.name} 窓口",
                        facility_kinds=knowledge.facilities.labels if knowledge.facilities else {},
                        handover_notices=core.notifier,
                        stream_key=handover_stream.stream_key(core.settings.data_key))  # the live view's tickets


def delivery_desk(settings: Settings) -> DeliveryDesk:
    # A service on this machine (the demo) serves its uploaded images over http; LINE needs https.
    local = settings.public_base_url.startswith(("http://127.0.0.1:", "http://localhost:"))
    return DeliveryDesk(DeliveryConfig(production_channel=PRODUCTION, allow_http=local,
                                       test_channel=TEST if settings.test_line is not None else PRODUCTION))


def scheduled_jobs(core: Core, drafts_idle: timedelta) -> Schedule:
    """Each job is the edge of its own work: it opens ``db.write()`` (or calls what does)."""
    db, inbox, clock, notices = core.db, core.inbox_db, core.clock, core.notifier
    schedule = Schedule()
    schedule.every(15 * 60, "booking reminders", functools.partial(send_reminders, db, clock, notices))
    schedule.every(5 * 60, "booking waitlist offers", functools.partial(expire_offers, db, clock, notices))
    schedule.every(60, "procedures idle wipe", functools.partial(wipe_idle_drafts, DraftStore(db, clock, drafts_idle)))
    schedule.every(24 * 3600, "report draft photos", functools.partial(purge_report_drafts, db, clock))
    schedule.every(3600, "expired staff sessions", functools.partial(purge_sessions, db, clock))
    schedule.every(3600, "my-page sessions and codes", functools.partial(purge_mypage_sign_ins, db, clock))
    schedule.every(3600, "stale sign-in counters", functools.partial(purge_login_throttle, db, clock))
    schedule.every(24 * 3600, "retention", functools.partial(enforce_retention, db, inbox, clock, core.settings.retention))
    daily = daily_backup(core.settings, clock)  # BACKUP_AT with BACKUP_ENCRYPTION_KEY
    if daily is not None:
        schedule.every(BACKUP_CHECK_SECONDS, "daily backup", daily)
    return schedule


def open_deliveries(core: Core, *, interval: float = 30.0) -> Step:
    """The step that starts the delivery scheduler on the open gateway (``core.deliveries``)."""

    async def step(stack: contextlib.AsyncExitStack[Any]) -> None:
        core.deliveries.open(await stack.enter_async_context(
            running_deliveries(core.settings, core.db, core.clock, core.gateway.get(), interval=interval)))

    return step


def start_jobs(app: web.Application, lifespan: Lifespan, core: Core, schedule: Schedule, *,
               install_content: bool = True) -> None:
    """What runs once per service, in the web (or inline) process: the mail receiver, the town's
    content (attribute catalogue, facilities, first rich menus), the scheduled jobs, and — inline
    only — deliveries (``serve`` sends them from its turn worker: ``build_service``)."""
    settings, db, clock = core.settings, core.db, core.clock
    if core.role is Role.INLINE:
        lifespan.add(open_deliveries(core))
    if core.mail_sender is not None:
        mail_sender = core.mail_sender
        lifespan.enter(lambda: sending_mail(mail_sender))
        if settings.mail_bounce_port:
            lifespan.enter(lambda: receiving_bounces(db, clock, host=settings.host, port=settings.mail_bounce_port,
                                                     domain=mail_sender.config.domain))
    if settings.mail_receiver_port:
        lifespan.enter(lambda: receiving_mail(db, clock, host=settings.host, port=settings.mail_receiver_port,
                                              recipients=set(settings.mail_recipients),
                                              on_delivery=core.wake_deliveries,
                                              on_committed=DisasterSwitch(db, clock, ModeMenus(core.publisher)
                                                                          if core.publisher else None).settle))

    async def catalogue(stack: contextlib.AsyncExitStack[Any]) -> None:
        async with db.write() as session:  # the town's attributes and forms; safe to repeat
            await in_transaction(session, INSTALL_LOCK)  # instances starting at once: one at a time
            await install_town(session, clock.now(), settings.town_dir)

    lifespan.add(catalogue)
    if install_content:
        assert core.publisher is not None
        report = app[STARTUP_CONTENT] = StartupContent()
        publisher = core.publisher
        lifespan.enter(lambda: installing_content(db, clock, settings.town_dir, publisher,
                                                  test_account=settings.test_line is not None, report=report))
    lifespan.enter(lambda: running(schedule, lambda job, result: core.metrics.job_runs.labels(job, result).inc()))
