"""Imports every table model (all domains; this is the top of the dependency graph) so that ``SQLModel.metadata`` is complete (migrations, tests)."""

from __future__ import annotations

import importlib

from sqlmodel import SQLModel

#: Modules that define tables. A new domain adds its ``models`` module here.
MODEL_MODULES = [
    "civic.citizens.models",
    "civic.talklog.models",
    "bot.inbox.models",
    "bot.outbox.models",
    "conversation.state",
    "civic.procedures.models",
    "civic.facilities.models",
    "civic.booking.models",
    "civic.reports.models",
    "civic.faq.models",
    "civic.scenarios.models",
    "civic.staff.models",
    "richmenus.models",
    "civic.attributes.models",
    "civic.segments.models",
    "civic.deliveries.models",
    "civic.maintenance.models",
    "civic.disaster.models",
    "civic.handover.models",
    "civic.content.models",
    "civic.content.nlu",
    "civic.mypage.models",
    "civic.recommendations.models",
    "civic.counter.models",
    "civic.ratelimit",
]


def load_metadata():  # -> sqlalchemy.MetaData
    for name in MODEL_MODULES:
        importlib.import_module(name)
    return SQLModel.metadata
