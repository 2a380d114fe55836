"""Wiring the dialogues into the service: ``create_app(settings, handler_factory=dialogue_handler_factory(k))``.

The town's ``Knowledge`` (NLU interpreter, FAQ index, garbage dictionary, calendar) is built once,
before the app starts (``build_knowledge``), and shared by every turn. A ``MenuRelinker`` set as
``app[MENU_RELINKER]`` before the app starts (``bot.service.build_service``, in every role) relinks
a citizen's rich menu after a turn in which they answered a form. The help menu stays
``bot.help_responder``'s; its message buttons map onto the rich menu's actions.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from aiohttp import web

from admin_api.open311 import Open311Policy
from bot.appkeys import (
    BOOKING,
    CLOCK,
    DATABASE,
    DIALOGUE_HANDLER,
    DIALOGUE_SERVICES,
    GATEWAY,
    MENU_RELINKER,
    NOTIFIER,
    PROCEDURES,
    SENDER,
    SETTINGS,
)
from bot.help_responder import MENU, help_message, welcome_text
from bot.notifier import OutboxNotifier
from bot.settings import Settings, SettingsError
from bot.turn import TurnHandler
from civic.reports.photos import PhotoPolicy
from civic.staff.privacy import Redactor
from dialogues.engine import DEFAULT_TIMEOUT
from dialogues.handler import MENU_ACTIONS, DialogueHandler
from dialogues.services import Knowledge, Services


def build_knowledge(settings: Settings, *, model_dir: str | Path | None = None) -> Knowledge:
    """Train (or load from ``model_dir``) once, at start-up; the sentence encoder is loaded here,
    once per process (``NLU_ENCODER``)."""
    from nlu.encoder import load_encoder

    return Knowledge.build(settings.town_dir, model_dir=model_dir, encoder=load_encoder(settings.nlu_encoder))


def make_notifier(app: web.Application) -> OutboxNotifier:
    return OutboxNotifier(lambda: app.get(SENDER), app[CLOCK],
                          lambda: app[GATEWAY].channels if GATEWAY in app else list(app[SETTINGS].accounts))


def dialogue_handler_factory(
    knowledge: Knowledge, *, timeout: timedelta = DEFAULT_TIMEOUT, photo_policy: PhotoPolicy | None = None,
) -> Callable[[web.Application], TurnHandler]:
    def factory(app: web.Application) -> TurnHandler:
        notifier = app.get(NOTIFIER) or make_notifier(app)
        services = Services(knowledge, notifier=notifier, photo_policy=photo_policy or PhotoPolicy(),
                            timeout=timeout, public_base_url=app[SETTINGS].public_base_url, clock=app[CLOCK],
                            booking=app.get(BOOKING), procedures=app.get(PROCEDURES), menus=app.get(MENU_RELINKER),
                            liff_ids=dict(app[SETTINGS].liff_ids), policy=app[SETTINGS].confidence)
        handler = DialogueHandler(services, help_message=functools.partial(help_message, town=knowledge.town.name),
                                  welcome=welcome_text(knowledge.town.name),
                                  menu_texts={text: action for (_, text), action in zip(MENU, MENU_ACTIONS, strict=True)})
        app[NOTIFIER] = notifier
        app[DIALOGUE_SERVICES] = services
        app[DIALOGUE_HANDLER] = handler
        return handler

    return factory


def open311_policy(settings: Settings, knowledge: Knowledge) -> Open311Policy:
    """The town's Open311 settings; a private category the town does not have stops start-up."""
    codes = {c.code for c in knowledge.town.report_categories}
    unknown = [c for c in settings.open311_private_categories if c not in codes]
    if unknown:
        raise SettingsError("OPEN311_PRIVATE_CATEGORIES",
                            f"unknown report categories {', '.join(unknown)} (the town has {', '.join(sorted(codes))})")
    return Open311Policy(publish=settings.open311_publish, public_read=settings.open311_public_read,
                         descriptions=settings.open311_descriptions,
                         private_categories=frozenset(settings.open311_private_categories))


def personal_data_redactor(knowledge: Knowledge) -> Redactor:
    """Masks personal data in free text, names included (SudachiPy's 人名, the NLU's own dictionary)."""
    return Redactor(knowledge.interpreter.morphology.person_names)


def map_tiles(settings: Settings) -> Any:
    """The facility map's tile server (``MAP_TILE_URL``: gsi, osm or a template of the town's own)."""
    from liff.map import OPENSTREETMAP, TileServer

    if settings.map_tile_url == "osm":
        return OPENSTREETMAP
    if settings.map_tile_url == "gsi":
        return TileServer()
    return TileServer(settings.map_tile_url, settings.map_tile_attribution, settings.map_tile_attribution_url)


def install_dialogues(app: web.Application, knowledge: Knowledge, *, open311_api_keys: tuple[str, ...] = (),
                      jurisdiction_id: str = "", open311: Open311Policy | None = None) -> None:
    """Mount the dialogue features' pages on a service app made with ``dialogue_handler_factory``:
    ``/liff/map/`` (facility map), ``/liff/webchat/`` (web chat + ``embed.js``) and
    ``/open311/v2/`` (GeoReport v2, read as ``open311`` allows: nothing by default). Call before the app starts."""
    from admin_api.open311 import create_open311_app
    from liff.map import create_map_app
    from liff.webchat import create_webchat_app

    town = knowledge.town
    if knowledge.facilities is not None:
        app.add_subapp("/liff/map", create_map_app(
            lambda: app[DATABASE], app[CLOCK], knowledge.facilities, town=town.name,
            center=(town.area.latitude, town.area.longitude), tiles=map_tiles(app[SETTINGS])))
    app.add_subapp("/liff/webchat", create_webchat_app(
        lambda: app[DIALOGUE_HANDLER], lambda: app[DATABASE], app[CLOCK], title=f"{town.name} よくある質問"))
    app.add_subapp("/open311/v2", create_open311_app(
        lambda: app[DATABASE], app[CLOCK], categories={c.code: c.label for c in town.report_categories},
        api_keys=open311_api_keys, town=town.name, jurisdiction_id=jurisdiction_id, policy=open311,
        redact=personal_data_redactor(knowledge)))


def dialogue_admin_routers(app: web.Application, knowledge: Knowledge) -> list[Any]:
    """The staff API routers of the dialogue features (reports, FAQ results, scenarios), for
    ``create_admin_app(authenticator, [..., *dialogue_admin_routers(app, knowledge)])``."""
    from admin_api.faq_views import faq_router
    from admin_api.report_views import reports_router
    from admin_api.scenario_views import scenarios_router

    town = knowledge.town
    return [
        reports_router(db=lambda: app[DATABASE], clock=app[CLOCK], notifier=lambda: app.get(NOTIFIER),
                       categories={c.code: c.label for c in town.report_categories}, town=town.name,
                       redact=personal_data_redactor(knowledge)),
        faq_router(db=lambda: app[DATABASE], clock=app[CLOCK],
                   questions=lambda: {e.id: e.question for e in knowledge.faq.entries}),
        scenarios_router(db=lambda: app[DATABASE], clock=app[CLOCK], faq_ids=lambda: knowledge.faq_entries.keys()),
    ]


async def seed_dialogues(app: web.Application, knowledge: Knowledge) -> list[str]:
    """The town's content scenarios (``content/<town>/dialogues/scenarios/*.yml``), published; idempotent."""
    import asyncio

    from civic.scenarios.services import read_directory, seed

    directory = app[SETTINGS].town_dir / "dialogues" / "scenarios"
    documents = await asyncio.to_thread(read_directory, directory)
    async with app[DATABASE].write() as session:
        return await seed(session, documents, now=app[CLOCK].now(), faq_ids=knowledge.faq_entries.keys())


async def purge_report_drafts(app: web.Application, older_than: timedelta = timedelta(days=1)) -> int:
    """Photos of reports never sent (a scheduled job): they are deleted after ``older_than``."""
    from civic.reports.services import purge_draft_photos

    async with app[DATABASE].write() as session:
        return await purge_draft_photos(session, app[CLOCK].now() - older_than)
