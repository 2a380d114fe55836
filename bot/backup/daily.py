"""The daily backup inside the service (issue #18: "a scheduled job runs it daily at a configured time";
国富町 §9(1)(ウ), 酒田市 4(5) seven times a week).

``BACKUP_AT=03:00`` (Japan time; empty: off) with ``BACKUP_ENCRYPTION_KEY`` set: the web process's
scheduler looks every few minutes whether today's backup is due (it is past ``BACKUP_AT``) and not
yet done (the newest generation in ``BACKUP_DIR`` is older than today's ``BACKUP_AT``); then it makes
one generation (``generations.backup``, pruning to ``BACKUP_KEEP``) and restores it into a scratch
place to check it (``generations.verify``). A service that was down at ``BACKUP_AT`` catches up when
it starts. On PostgreSQL several instances may share the database: a PostgreSQL advisory lock lets
only one of them run it (the others find the new generation, or the lock held, and skip).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from bot.backup import BackupConfig
from bot.backup.generations import backup, newest_at, verify
from bot.backup.stores import Store, stores_of
from civic.clock import TOKYO, Clock

if TYPE_CHECKING:
    from bot.settings import Settings

log = logging.getLogger(__name__)

#: ``pg_try_advisory_lock`` key of the daily backup (any fixed 64-bit number, the same in every instance).
LOCK_KEY = 0x6D61646F_62616B31  # "madobak1"
#: How often the scheduler looks whether the day's backup is due.
CHECK_SECONDS = 5 * 60


@dataclass
class DailyBackup:
    stores: list[Store]
    key: bytes
    dest: Path
    keep: int
    at: time
    clock: Clock

    def due(self) -> datetime | None:
        """Today's ``at`` (as UTC) when it has passed and no generation was made since; else None."""
        now = self.clock.now()
        today = datetime.combine(now.astimezone(TOKYO).date(), self.at, TOKYO).astimezone(UTC)
        if now < today:
            return None
        newest = newest_at(self.dest)
        return today if newest is None or newest < today else None

    async def __call__(self) -> str | None:
        if self.due() is None:
            return None
        async with self._only_one() as mine:
            if not mine or self.due() is None:  # another instance runs it, or just did
                return None
            made = await backup(self.stores, self.key, self.dest, self.keep, now=self.clock.now())
            checked = await verify(made, self.stores, self.key)
            return f"daily backup {made.name} made and checked ({checked.summary()})"

    @contextlib.asynccontextmanager
    async def _only_one(self) -> AsyncIterator[bool]:
        main = self.stores[0]
        if main.sqlite:  # one service per SQLite database (bot.backup.running.RunLock)
            yield True
            return
        engine = create_async_engine(main.url, poolclass=NullPool)
        try:
            async with engine.connect() as conn:
                got = bool((await conn.execute(sa.text("SELECT pg_try_advisory_lock(:k)"), {"k": LOCK_KEY})).scalar())
                try:
                    yield got
                finally:
                    if got:
                        await conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": LOCK_KEY})
        finally:
            await engine.dispose()


def daily_backup(settings: Settings, clock: Clock, env: Mapping[str, str] | None = None) -> DailyBackup | None:
    """The job ``bot.service.scheduled_jobs`` runs every ``CHECK_SECONDS``, or None when it is off
    (no ``BACKUP_AT``; no usable ``BACKUP_ENCRYPTION_KEY``, which is logged)."""
    if settings.backup_at is None:
        return None
    try:
        config = BackupConfig.from_env(env)
    except ValueError as exc:
        log.warning("BACKUP_AT is set but there is no daily backup: %s", exc)
        return None
    return DailyBackup(stores_of(settings.database_url, settings.inbox_url), config.key, config.dest, config.keep,
                       settings.backup_at, clock)
