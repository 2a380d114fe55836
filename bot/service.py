"""The whole service: the spine (``create_app``) with every feature mounted — the composition root.

``build_service(settings)`` is what ``python -m bot serve`` and ``python -m bot demo`` run. Each
feature takes its dependencies as arguments here; nothing is reached through globals.

=================  ==============================================================
``/callback``      LINE webhook (``/callback/test`` for the test account)
``/admin/api/v1``  staff API (OpenAPI at ``/admin/api/v1/openapi.json``)
``/liff/booking``  facility booking page (LIFF)
``/liff/procedures``  手続きナビ page and the staff counter page
``/liff/map``      facility map; ``/liff/webchat`` the web chat; ``/open311/v2`` GeoReport v2
``/api/nlu/parse`` the NLU's Rasa-shaped parse result, for the web
``/liff/forms``    registration forms and delivery settings (LIFF); ``/r/<token>`` click tracking
=================  ==============================================================
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Sequence
from datetime import timedelta
from typing import Any

from aiohttp import web

from admin_api.app import PREFIX, create_admin_app
from admin_api.attribute_views import attribute_router
from admin_api.booking_views import booking_router
from admin_api.delivery_views import create_redirect_app, delivery_router
from admin_api.facility_views import facility_router
from admin_api.log_views import log_router
from admin_api.mail_views import mail_router
from admin_api.procedure_views import procedures_router
from admin_api.richmenu_views import richmenu_router
from admin_api.routing import ApiRouter
from admin_api.segment_views import segment_router
from admin_api.staff_auth import StaffAuthenticator
from admin_api.staff_views import staff_router
from admin_api.stats_views import stats_router
from bot.app import Role, create_app
from bot.appkeys import (
    BOOKING,
    CLOCK,
    DATABASE,
    DELIVERY_SCHEDULER,
    GATEWAY,
    INBOX_DATABASE,
    KNOWLEDGE,
    MENU_RELINKER,
    NOTIFIER,
    PROCEDURES,
    PUBLISHER,
    SCHEDULE,
    SETTINGS,
    STAFF_SESSIONS,
    STARTUP_CONTENT,
)
from bot.content_install import StartupContent, content_ctx
from bot.delivery_scheduler import delivery_scheduler_ctx
from bot.dialogue_wiring import (
    build_knowledge,
    dialogue_admin_routers,
    dialogue_handler_factory,
    install_dialogues,
    make_notifier,
    open311_policy,
    personal_data_redactor,
    purge_report_drafts,
)
from bot.gateway import LineGateway
from bot.inbox.retention import purge_inbox
from bot.insight import LineOpenStatistics
from bot.mail_receiver import mail_receiver_ctx
from bot.menu_relink import MenuRelinker
from bot.notifier import BookingNotices, ProcedureResults
from bot.scheduler import Schedule, scheduler_ctx
from bot.settings import PRODUCTION, TEST, Settings
from bot.turn import Turn, TurnHandler
from civic.attributes.catalogue import install_town
from civic.booking.services import BookingService
from civic.booking.tasks import expire_offers, send_reminders
from civic.clock import TOKYO, Clock, SystemClock
from civic.deliveries.services import DeliveryConfig, DeliveryDesk
from civic.inputs import loads_json
from civic.procedures.kana import SudachiKanaReader
from civic.procedures.loader import load_content
from civic.procedures.payload import QrKeyring
from civic.procedures.services import DraftStore
from civic.procedures.tasks import wipe_idle_drafts
from civic.ratelimit import RateLimit
from civic.segments.services import SegmentMembers
from civic.staff.audit import Auditor
from civic.staff.sessions import StaffSessions
from civic.staff.tasks import purge_login_throttle, purge_operation_log, purge_sessions
from console.app import add_console_routes
from dialogues.services import Knowledge
from liff.booking.app import create_booking_liff_app
from liff.forms.app import create_forms_liff_app
from liff.identity import HttpIdTokenVerifier
from liff.procedures.app import create_procedures_app
from nlu.service import make_parse_handler
from richmenus.editor import EditorOptions
from richmenus.line_api import GatewayLineApis
from richmenus.publish import RichMenuPublisher
from richmenus.taps import is_switch_data, record_tap

log = logging.getLogger(__name__)


class _LateGateway:
    """The gateway opens with the app; features built before that reach it through this."""

    def __init__(self, app: web.Application) -> None:
        self._app = app

    def __getattr__(self, name: str) -> Any:
        return getattr(self._app[GATEWAY], name)


def delivery_desk(settings: Settings) -> DeliveryDesk:
    return DeliveryDesk(DeliveryConfig(production_channel=PRODUCTION,
                                       test_channel=TEST if settings.test_line is not None else PRODUCTION))


class RichMenuTaps:
    """Counts rich-menu taps (postback data of published areas) and keeps tab switches silent:
    LINE already switched the menu, there is nothing to answer."""

    def __init__(self, inner: TurnHandler) -> None:
        self.inner = inner
        self.prepare = getattr(inner, "prepare", None) or self._no_prepare

    @staticmethod
    async def _no_prepare(event: dict[str, Any]) -> None:
        return None

    async def handle(self, turn: Turn) -> None:
        postback = turn.postback
        if postback is not None and turn.user_id:
            data = str(postback.get("data", ""))
            await record_tap(turn.session, turn.user_id, data, turn.now)
            if is_switch_data(data):
                return
        await self.inner.handle(turn)


def nlu_parse_view(knowledge: Knowledge, clock: Clock, *, per_address_per_minute: int = 60) -> Any:
    """``POST /api/nlu/parse {"text"}``: Rasa's ``/model/parse`` answer from the same model as LINE,
    for the town's web pages and for staff checking the NLU (酒田市 spec 第5章 1(6)).

    Public (the town's pages call it from citizens' browsers), so each client address may ask
    ``per_address_per_minute`` times a minute; beyond that it answers 429 with ``Retry-After``."""
    handle = make_parse_handler(knowledge.interpreter, clock=lambda: clock.now().astimezone(TOKYO))
    addresses = RateLimit(per_address_per_minute)

    async def view(request: web.Request) -> web.Response:
        if not addresses.allow(request.remote or "-", clock.now().timestamp()):
            return web.json_response(
                {"error": {"field": "", "message": "短い時間に多くの解析が依頼されました。1分ほど待ってからお試しください。"}},
                status=429, headers={"Retry-After": "60"}, dumps=lambda o: json.dumps(o, ensure_ascii=False))
        try:
            body = loads_json(await request.read())
        except ValueError:
            body = None
        status, answer = handle(body)
        return web.json_response(answer, status=status, dumps=lambda o: json.dumps(o, ensure_ascii=False))

    return view


def richmenu_publisher(app: web.Application) -> RichMenuPublisher:
    """The rich-menu publisher on the service's gateway, segment members per account."""
    db, clock = app[DATABASE], app[CLOCK]
    return RichMenuPublisher(db, clock, GatewayLineApis(_LateGateway(app)), {
        PRODUCTION: SegmentMembers(db, clock), TEST: SegmentMembers(db, clock, audience="test")})


async def drain_menu_relinks(app: web.Application) -> AsyncIterator[None]:
    """A ``cleanup_ctx``: at shutdown, the relinks under way get a few seconds to finish."""
    yield
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(app[MENU_RELINKER].drain(), timeout=10)


def admin_api_routers(app: web.Application, knowledge: Knowledge, *, booking_notices: BookingNotices,
                      procedures: Any, qr_keys: QrKeyring, booking: BookingService,
                      auditor: Auditor) -> list[ApiRouter]:
    db, clock = app[DATABASE], app[CLOCK]
    publisher = app[PUBLISHER]
    desk = delivery_desk(app[SETTINGS])

    def wake() -> None:
        if DELIVERY_SCHEDULER in app:
            app[DELIVERY_SCHEDULER].wake()

    return [
        attribute_router(db, clock),
        segment_router(db, clock),
        delivery_router(db, clock, desk, opens=LineOpenStatistics(_LateGateway(app)), wake=wake),
        mail_router(db, clock, desk, wake=wake),
        staff_router(db, clock, app[STAFF_SESSIONS]),
        log_router(db, clock),
        stats_router(db, clock, GatewayLineApis(_LateGateway(app))),  # LINE's own figures too
        richmenu_router(db, clock, publisher, EditorOptions(app[SETTINGS].simulator_url, app[SETTINGS].liff_ids)),
        facility_router(db, clock, auditor),
        booking_router(db, clock, booking_notices, auditor, service=booking),
        procedures_router(db, clock, procedures, qr_keys),
        *dialogue_admin_routers(app, knowledge),
    ]


def build_service(settings: Settings, *, clock: Clock | None = None, knowledge: Knowledge | None = None,
                  gateway: LineGateway | None = None, role: Role = Role.INLINE,
                  worker_command: Sequence[str] = (), install_content: bool = True) -> web.Application:
    """The service in ``role`` (see ``bot.app``). A ``WORKER`` app starts no scheduler, mail
    receiver or content install: its web process does. ``install_content=False`` leaves the town's
    facilities and first rich menus to the caller (the demo seeds them itself)."""
    clock = clock or SystemClock()
    knowledge = knowledge or build_knowledge(settings, model_dir=settings.nlu_model_dir)
    dialogues = dialogue_handler_factory(knowledge, timeout=timedelta(minutes=settings.dialogue_timeout_minutes))
    app = create_app(settings, clock=clock, handler_factory=lambda app: RichMenuTaps(dialogues(app)),
                     gateway=gateway, role=role, worker_command=worker_command)
    app[KNOWLEDGE] = knowledge
    db = app[DATABASE]
    notifier = make_notifier(app)
    app[NOTIFIER] = notifier
    install_dialogues(app, knowledge, open311_api_keys=settings.open311_api_keys,
                      open311=open311_policy(settings, knowledge))

    app.router.add_post("/api/nlu/parse", nlu_parse_view(knowledge, clock))

    booking = BookingService(db, clock, BookingNotices(notifier))
    app[BOOKING] = booking
    if not settings.line.liff_channel_id:
        log.warning("LIFF_CHANNEL_ID is not set (nor LIFF_ID_*): the booking and forms pages cannot tell "
                    "who a citizen is and answer 401 (see .env.example)")
    verifier = HttpIdTokenVerifier(settings.line.api_base_url, settings.line.liff_channel_id)
    liff_sdk = "https://static.line-scdn.net/liff/edge/2/sdk.js"
    app.add_subapp("/liff/booking", create_booking_liff_app(
        booking, verifier, liff_id=settings.liff_ids.get("booking", ""),
        sdk_url=liff_sdk if settings.liff_ids.get("booking") else None))

    procedures = load_content(settings.town_dir / "procedures")
    app[PROCEDURES] = procedures
    qr_keys = QrKeyring(settings.qr_key_bytes())
    drafts_idle = timedelta(minutes=15)
    sessions = StaffSessions(db, clock)
    authenticator = StaffAuthenticator(sessions)
    auditor = Auditor(db, clock)
    app[STAFF_SESSIONS] = sessions
    app.add_subapp("/liff/procedures", create_procedures_app(
        db=db, clock=clock, content=procedures, qr_keys=qr_keys, authenticator=authenticator,
        auditor=auditor,  # counter openings land in the operation log (小郡市 §12(4))
        kana_reader=SudachiKanaReader(), id_token_verifier=verifier,
        result_notifier=ProcedureResults(notifier, db), idle=drafts_idle,
        liff_id=settings.liff_ids.get("procedures", ""),
        liff_sdk_url=liff_sdk if settings.liff_ids.get("procedures") else "",
        staff_login_url=f"{PREFIX}/auth/login"))

    app[PUBLISHER] = richmenu_publisher(app)
    # A citizen's answers relink their per-segment menu: on the LIFF page after saving (``on_saved``),
    # in the chat once the turn has committed (the form flow, through ``MENU_RELINKER``; every role).
    app[MENU_RELINKER] = MenuRelinker(app[PUBLISHER].relink_citizen)
    app.cleanup_ctx.append(drain_menu_relinks)
    admin_routers = admin_api_routers(app, knowledge, booking_notices=BookingNotices(notifier),
                                      procedures=procedures, qr_keys=qr_keys, booking=booking, auditor=auditor)
    # Staff without personal.view see citizens' free text with names (SudachiPy's 人名) and numbers masked.
    redactor = personal_data_redactor(knowledge)
    add_console_routes(app)  # the staff console at /admin/
    app.add_subapp(PREFIX, create_admin_app(authenticator, admin_routers, auditor=auditor, redactor=redactor))

    app.add_subapp("/r", create_redirect_app(db, clock))
    app.add_subapp("/liff/forms", create_forms_liff_app(
        db, clock, verifier, liff_id=settings.liff_ids.get("forms", ""),
        sdk_url=liff_sdk if settings.liff_ids.get("forms") else None,
        on_saved=app[PUBLISHER].relink_citizen, title=f"{knowledge.town.name} 受信設定"))
    schedule = scheduled_jobs(app, notifier, drafts_idle)
    app[SCHEDULE] = schedule
    if role is not Role.WORKER:
        start_jobs(app, settings, schedule, install_content=install_content)

    async def close_verifier(app: web.Application) -> AsyncIterator[None]:
        yield
        await verifier.close()

    app.cleanup_ctx.append(close_verifier)
    return app


def scheduled_jobs(app: web.Application, notifier: Any, drafts_idle: timedelta) -> Schedule:
    db, clock = app[DATABASE], app[CLOCK]
    schedule = Schedule()
    schedule.every(15 * 60, "booking reminders", lambda: send_reminders(db, clock, BookingNotices(notifier)))
    schedule.every(5 * 60, "booking waitlist offers", lambda: expire_offers(db, clock, BookingNotices(notifier)))
    schedule.every(60, "procedures idle wipe", lambda: wipe_idle_drafts(DraftStore(db, clock, drafts_idle)))
    schedule.every(24 * 3600, "report draft photos", lambda: purge_report_drafts(app))
    schedule.every(3600, "expired staff sessions", lambda: purge_sessions(db, clock))
    schedule.every(3600, "stale sign-in counters", lambda: purge_login_throttle(db, clock))
    schedule.every(24 * 3600, "operation log retention", lambda: purge_operation_log(db, clock, keep_months=36))
    schedule.every(24 * 3600, "inbox retention", lambda: purge_inbox(db, app[INBOX_DATABASE], clock, keep_days=30))
    return schedule


def start_jobs(app: web.Application, settings: Settings, schedule: Schedule, *, install_content: bool = True) -> None:
    """What runs once per service, in the web (or inline) process: deliveries, the mail receiver,
    the town's content (attribute catalogue, facilities, first rich menus) and the scheduled jobs."""
    db, clock = app[DATABASE], app[CLOCK]
    app.cleanup_ctx.append(delivery_scheduler_ctx(settings))
    if settings.mail_receiver_port:
        app.cleanup_ctx.append(mail_receiver_ctx(
            host=settings.host, port=settings.mail_receiver_port, recipients=set(settings.mail_recipients),
            on_delivery=lambda a: a[DELIVERY_SCHEDULER].wake()))

    async def install_catalogue(app: web.Application) -> AsyncIterator[None]:
        async with db.write() as session:  # the town's attributes and forms; safe to repeat
            await install_town(session, clock.now(), settings.town_dir)
        yield

    app.cleanup_ctx.append(install_catalogue)
    if install_content:
        report = app[STARTUP_CONTENT] = StartupContent()
        app.cleanup_ctx.append(content_ctx(db, clock, settings.town_dir, lambda: app[PUBLISHER],
                                           test_account=settings.test_line is not None, report=report))
    app.cleanup_ctx.append(scheduler_ctx(schedule))

