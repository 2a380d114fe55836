"""Wiring the dialogues into the service: ``create_app(settings, handler_factory=dialogue_handler_factory(k))``.

The town's ``Knowledge`` (NLU interpreter, FAQ index, garbage dictionary, calendar) is built once,
before the app starts (``build_knowledge``), and shared by every turn. The help menu stays
``bot.help_responder``'s; its message buttons map onto the rich menu's actions.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from aiohttp import web

from bot.appkeys import CLOCK, GATEWAY, SENDER, SETTINGS
from bot.help_responder import MENU, WELCOME, help_message
from bot.notifier import OutboxNotifier
from bot.settings import Settings
from bot.turn import TurnHandler
from civic.reports.photos import PhotoPolicy
from dialogues.engine import DEFAULT_TIMEOUT
from dialogues.handler import MENU_ACTIONS, DialogueHandler
from dialogues.services import Knowledge, Services

#: The service's dialogue parts, for sub-apps that answer like the bot (web chat) or notify citizens.
DIALOGUE_SERVICES = web.AppKey("dialogue_services", Services)
DIALOGUE_HANDLER = web.AppKey("dialogue_handler", DialogueHandler)
NOTIFIER = web.AppKey("notifier", OutboxNotifier)


def build_knowledge(settings: Settings, *, model_dir: str | Path | None = None) -> Knowledge:
    """Train (or load from ``model_dir``) once, at start-up."""
    return Knowledge.build(settings.town_dir, model_dir=model_dir)


def make_notifier(app: web.Application) -> OutboxNotifier:
    return OutboxNotifier(lambda: app.get(SENDER), app[CLOCK],
                          lambda: app[GATEWAY].channels if GATEWAY in app else list(app[SETTINGS].accounts))


def dialogue_handler_factory(
    knowledge: Knowledge, *, timeout: timedelta = DEFAULT_TIMEOUT, photo_policy: PhotoPolicy | None = None,
    extra: dict[str, Any] | None = None,
) -> Callable[[web.Application], TurnHandler]:
    def factory(app: web.Application) -> TurnHandler:
        notifier = app.get(NOTIFIER) or make_notifier(app)
        services = Services(knowledge, notifier=notifier, photo_policy=photo_policy or PhotoPolicy(),
                            timeout=timeout, public_base_url=app[SETTINGS].public_base_url, extra=dict(extra or {}))
        handler = DialogueHandler(services, help_message=help_message, welcome=WELCOME,
                                  menu_texts={text: action for (_, text), action in zip(MENU, MENU_ACTIONS, strict=True)})
        app[NOTIFIER] = notifier
        app[DIALOGUE_SERVICES] = services
        app[DIALOGUE_HANDLER] = handler
        return handler

    return factory
