"""The dialogue features' pieces that the composition root (``bot.service``) uses: the town's
``Knowledge``, Open311's settings, the personal-data redactor, the map's tile server, and the
dialogue content jobs (scenario seeding, report-photo purge). Nothing here builds or mounts an app.

The town's ``Knowledge`` (NLU interpreter, FAQ index, garbage dictionary, calendar) is built once,
before the app starts (``build_knowledge``), and shared by every turn.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from admin_api.context import ReportsConfig
from admin_api.open311 import Open311Policy
from bot.settings import Settings, SettingsError
from civic.clock import Clock
from civic.database import Database
from civic.staff.privacy import Redactor
from dialogues.services import Knowledge

if TYPE_CHECKING:
    from liff.map import TileServer


def build_knowledge(settings: Settings, *, model_dir: str | Path | None = None) -> Knowledge:
    """Train (or load from ``model_dir``) once, at start-up; the sentence encoder is loaded here,
    once per process (``NLU_ENCODER``)."""
    from nlu.encoder import load_encoder

    return Knowledge.build(settings.town_dir, model_dir=model_dir, encoder=load_encoder(settings.nlu_encoder))


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


def map_tiles(settings: Settings) -> TileServer:
    """The facility map's tile server (``MAP_TILE_URL``: gsi, osm or a template of the town's own)."""
    from liff.map import OPENSTREETMAP, TileServer

    if settings.map_tile_url == "osm":
        return OPENSTREETMAP
    if settings.map_tile_url == "gsi":
        return TileServer()
    return TileServer(settings.map_tile_url, settings.map_tile_attribution, settings.map_tile_attribution_url)


def report_settings(knowledge: Knowledge, notifier: Any, tiles: TileServer | None = None) -> ReportsConfig:
    """What the staff API's report views need of the town (``AdminContext.reports``)."""
    town = knowledge.town
    return ReportsConfig(notifier=notifier, categories={c.code: c.label for c in town.report_categories},
                         town=town.name, redact=personal_data_redactor(knowledge), tiles=tiles,
                         center=(town.area.latitude, town.area.longitude))


async def seed_dialogues(db: Database, clock: Clock, settings: Settings, knowledge: Knowledge) -> list[str]:
    """The town's content scenarios (``content/<town>/dialogues/scenarios/*.yml``), published; idempotent."""
    from civic.scenarios.services import read_directory, seed

    directory = settings.town_dir / "dialogues" / "scenarios"
    documents = await asyncio.to_thread(read_directory, directory)
    async with db.write() as session:
        return await seed(session, documents, now=clock.now(), faq_ids=knowledge.faq_entries.keys())


async def purge_report_drafts(db: Database, clock: Clock, older_than: timedelta = timedelta(days=1)) -> int:
    """Photos of reports never sent (a scheduled job): they are deleted after ``older_than``."""
    from civic.reports.services import purge_draft_photos

    async with db.write() as session:
        return await purge_draft_photos(session, clock.now() - older_than)
