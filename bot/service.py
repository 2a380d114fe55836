"""The whole service: the spine (``create_app``) with every feature mounted — the composition root.

``build_service(settings)`` is what ``python -m bot serve`` and ``python -m bot demo`` run. Each
feature takes its dependencies as arguments here; nothing is reached through globals.

=================  ==============================================================
``/callback``      LINE webhook (``/callback/test`` for the test account)
``/admin/api/v1``  staff API (when staff accounts are installed)
``/liff/booking``  facility booking page (LIFF)
``/liff/procedures``  手続きナビ page and the staff counter page
``/liff/map``      facility map; ``/liff/webchat`` the web chat; ``/open311/v2`` GeoReport v2
=================  ==============================================================
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

from aiohttp import web

from bot.app import create_app
from bot.appkeys import DATABASE
from bot.dialogue_wiring import (
    BOOKING,
    NOTIFIER,
    PROCEDURES,
    build_knowledge,
    dialogue_handler_factory,
    install_dialogues,
    make_notifier,
    purge_report_drafts,
)
from bot.gateway import LineGateway
from bot.notifier import BookingNotices, ProcedureResults
from bot.scheduler import Schedule, scheduler_ctx
from bot.settings import Settings
from civic.booking.services import BookingService
from civic.booking.tasks import expire_offers, send_reminders
from civic.clock import Clock, SystemClock
from civic.procedures.kana import SudachiKanaReader
from civic.procedures.loader import load_content
from civic.procedures.payload import QrKeyring
from civic.procedures.services import DraftStore
from civic.procedures.tasks import wipe_idle_drafts
from dialogues.services import Knowledge
from liff.booking.app import create_booking_liff_app
from liff.identity import HttpIdTokenVerifier
from liff.procedures.app import create_procedures_app

SCHEDULE = web.AppKey("schedule", Schedule)
KNOWLEDGE = web.AppKey("knowledge", Knowledge)


def build_service(settings: Settings, *, clock: Clock | None = None, knowledge: Knowledge | None = None,
                  gateway: LineGateway | None = None, authenticator=None) -> web.Application:
    clock = clock or SystemClock()
    knowledge = knowledge or build_knowledge(settings, model_dir=settings.nlu_model_dir)
    app = create_app(settings, clock=clock, handler_factory=dialogue_handler_factory(knowledge), gateway=gateway)
    app[KNOWLEDGE] = knowledge
    db = app[DATABASE]
    notifier = make_notifier(app)
    app[NOTIFIER] = notifier
    install_dialogues(app, knowledge, open311_api_keys=settings.open311_api_keys)

    booking = BookingService(db, clock, BookingNotices(notifier))
    app[BOOKING] = booking
    verifier = HttpIdTokenVerifier(settings.line.api_base_url, settings.line.liff_channel_id or "liff")
    liff_sdk = "https://static.line-scdn.net/liff/edge/2/sdk.js"
    app.add_subapp("/liff/booking", create_booking_liff_app(
        booking, verifier, liff_id=settings.liff_ids.get("booking", ""),
        sdk_url=liff_sdk if settings.liff_ids.get("booking") else None))

    procedures = load_content(settings.town_dir / "procedures")
    app[PROCEDURES] = procedures
    qr_keys = QrKeyring(settings.qr_key_bytes())
    drafts_idle = timedelta(minutes=15)
    if authenticator is not None:
        app.add_subapp("/liff/procedures", create_procedures_app(
            db=db, clock=clock, content=procedures, qr_keys=qr_keys, authenticator=authenticator,
            kana_reader=SudachiKanaReader(), id_token_verifier=verifier,
            result_notifier=ProcedureResults(notifier, db), idle=drafts_idle,
            liff_id=settings.liff_ids.get("procedures", ""),
            liff_sdk_url=liff_sdk if settings.liff_ids.get("procedures") else ""))

    schedule = Schedule()
    schedule.every(15 * 60, "booking reminders", lambda: send_reminders(db, clock, BookingNotices(notifier)))
    schedule.every(5 * 60, "booking waitlist offers", lambda: expire_offers(db, clock, BookingNotices(notifier)))
    schedule.every(60, "procedures idle wipe", lambda: wipe_idle_drafts(DraftStore(db, clock, drafts_idle)))
    schedule.every(24 * 3600, "report draft photos", lambda: purge_report_drafts(app))
    app[SCHEDULE] = schedule
    app.cleanup_ctx.append(scheduler_ctx(schedule))

    async def close_verifier(app: web.Application) -> AsyncIterator[None]:
        yield
        await verifier.close()

    app.cleanup_ctx.append(close_verifier)
    return app

