"""Applying migrations: every domain has its own Alembic branch; ``heads`` applies them all.

The inbox store (``bot.inbox.models``) has its own branch, ``inbox``. When it shares the main
database (PostgreSQL), all heads are applied there; when it is a file of its own (SQLite), the
``inbox`` branch is applied to that file and every other branch to the main database.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

from bot.settings import default_inbox_url

MIGRATIONS = Path(__file__).with_name("migrations")
INBOX_BRANCH = "inbox"


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["url"] = url
    return cfg


def upgrade(url: str, inbox_url: str | None = None) -> None:
    """Blocking; runs its own event loop (call from a thread when one is running). ``inbox_url``
    defaults to the store beside ``url`` (``bot.settings.default_inbox_url``)."""
    inbox_url = inbox_url or default_inbox_url(url)
    if inbox_url == url:
        command.upgrade(alembic_config(url), "heads")
        return
    cfg = alembic_config(url)
    for head in ScriptDirectory.from_config(cfg).get_revisions("heads"):
        if INBOX_BRANCH not in head.branch_labels:
            command.upgrade(cfg, head.revision)
    command.upgrade(alembic_config(inbox_url), f"{INBOX_BRANCH}@head")


async def upgrade_async(url: str, inbox_url: str | None = None) -> None:
    await asyncio.to_thread(upgrade, url, inbox_url)
