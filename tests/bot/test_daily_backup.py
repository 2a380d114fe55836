"""The daily backup inside the service (issue #18): ``BACKUP_AT`` Japan time, once a day, caught up
after a stop, checked by a trial restore; on PostgreSQL one instance at a time (an advisory lock)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from bot.backup.cipher import parse_key
from bot.backup.daily import LOCK_KEY, DailyBackup, daily_backup
from bot.backup.generations import generations, newest_at, verify
from bot.backup.stores import stores_of
from bot.settings import Settings, SettingsError, default_inbox_url
from civic.clock import TOKYO, FrozenClock
from civic.crypto import new_key_text
from civic.database import Database
from tests.bot.helpers import make_settings

KEY_TEXT = new_key_text()
KEY = parse_key(KEY_TEXT)


def _japan(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=TOKYO)


async def test_runs_once_a_day_after_backup_at_and_catches_up(sqlite_db: Database, tmp_path: Path) -> None:
    clock = FrozenClock(_japan(4, 2, 55))
    stores = stores_of(sqlite_db.url, default_inbox_url(sqlite_db.url))
    dest = tmp_path / "backups"
    job = DailyBackup(stores, KEY, dest, keep=2, at=time(3, 0), clock=clock)

    assert await job() is None and generations(dest) == []  # 02:55: not yet
    clock.set(_japan(4, 3, 0))
    said = await job()
    assert said is not None and "checked" in said
    assert [g.name for g in generations(dest)] == ["20261203-180000"]  # 03:00 Japan time, named in UTC
    assert (await verify(generations(dest)[0], stores, KEY)).tables["main"]
    for minutes in (5, 10, 600, 20 * 60):  # the rest of the day: done already
        clock.set(_japan(4, 3) + timedelta(minutes=minutes))
        assert await job() is None
    assert len(generations(dest)) == 1

    clock.set(_japan(5, 3, 5))  # the next day, at the first look after 03:00
    assert await job() is not None
    clock.set(_japan(7, 10, 30))  # down over the 6th and at 03:00 on the 7th: caught up when back
    assert await job() is not None
    assert [g.name for g in generations(dest)] == ["20261204-180500", "20261207-013000"]  # BACKUP_KEEP=2
    assert newest_at(dest) == _japan(7, 10, 30).astimezone(UTC)
    clock.set(_japan(7, 23, 59))
    assert await job() is None


async def test_on_postgresql_only_the_instance_holding_the_lock_runs_it(postgres_database: str,
                                                                        tmp_path: Path) -> None:
    url = postgres_database
    stores = stores_of(url, default_inbox_url(url))
    dest = tmp_path / "backups"
    job = DailyBackup(stores, KEY, dest, keep=7, at=time(3, 0), clock=FrozenClock(_japan(4, 4)))
    other = create_async_engine(url, poolclass=NullPool)
    try:
        async with other.connect() as conn:  # another instance is making today's backup
            assert (await conn.execute(sa.text("SELECT pg_try_advisory_lock(:k)"), {"k": LOCK_KEY})).scalar()
            assert await job() is None and generations(dest) == []
            await conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": LOCK_KEY})
        assert await job() is not None and len(generations(dest)) == 1
        assert await job() is None
    finally:
        await other.dispose()


def test_it_is_on_only_with_backup_at_and_the_backup_key() -> None:
    clock = FrozenClock(_japan(4, 4))
    on = make_settings("sqlite+aiosqlite:///x.db", backup_at=time(3, 0))
    job = daily_backup(on, clock, {"BACKUP_ENCRYPTION_KEY": KEY_TEXT, "BACKUP_DIR": "/srv/backups",
                                   "BACKUP_KEEP": "5"})
    assert job is not None and job.at == time(3, 0) and job.dest == Path("/srv/backups") and job.keep == 5
    assert daily_backup(on, clock, {}) is None  # no key: logged, off
    assert daily_backup(make_settings("sqlite+aiosqlite:///x.db"), clock, {"BACKUP_ENCRYPTION_KEY": KEY_TEXT}) is None


def test_backup_at_setting() -> None:
    base = {"LINE_CHANNEL_SECRET": "s", "LINE_CHANNEL_ACCESS_TOKEN": "t", "DATA_ENCRYPTION_KEY": new_key_text()}
    assert Settings.from_env({**base, "BACKUP_AT": "03:00"}).backup_at == time(3, 0)
    assert Settings.from_env(base).backup_at is None
    for bad in ("3", "25:00", "03:7", "朝"):
        with pytest.raises(SettingsError, match="BACKUP_AT"):
            Settings.from_env({**base, "BACKUP_AT": bad})
