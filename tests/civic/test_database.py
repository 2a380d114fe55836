"""The data layer on both backends: migrations match the models, encryption at rest, UTC times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import select

from bot.inbox.models import INBOX_METADATA
from bot.schema import load_metadata
from bot.settings import default_inbox_url
from civic.citizens.models import Citizen
from civic.crypto import DecryptionError, FieldCipher, parse_key
from civic.database import Database
from civic.inline_sqlite import InlineConnection


def _diff(metadata: sa.MetaData, skip: set[str]):
    def diff(sync_conn):
        ctx = MigrationContext.configure(sync_conn, opts={
            "compare_type": False,
            "include_name": lambda name, kind, _parent: not (kind == "table" and name in skip)})
        return compare_metadata(ctx, metadata)

    return diff


async def test_migrations_match_models(db: Database) -> None:
    inbox_tables = set(INBOX_METADATA.tables)  # the inbox store's (on PostgreSQL, the same database)
    async with db.engine.connect() as conn:
        changes = await conn.run_sync(_diff(load_metadata(), inbox_tables))
    assert changes == []
    inbox = Database(default_inbox_url(db.url), db.cipher)
    try:
        async with inbox.engine.connect() as conn:
            main_tables = set(load_metadata().tables) | {"alembic_version"}
            assert await conn.run_sync(_diff(INBOX_METADATA, main_tables)) == []
    finally:
        await inbox.dispose()


async def test_personal_data_is_encrypted_at_rest(db: Database) -> None:
    now = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
    async with db.write() as s:
        s.add(Citizen(channel_user_id="U1", display_name="山田 花子", created_at=now))
    async with db.engine.connect() as conn:
        raw = (await conn.execute(sa.text("SELECT display_name FROM citizen"))).scalar_one()
    assert "山田" not in raw and raw.startswith("v1.")
    async with db.read() as s:
        citizen = (await s.exec(select(Citizen))).one()
    assert citizen.display_name == "山田 花子"


async def test_times_come_back_as_aware_utc(db: Database) -> None:
    jst = timezone(timedelta(hours=9))
    async with db.write() as s:
        s.add(Citizen(channel_user_id="U2", created_at=datetime(2026, 1, 1, 9, 0, tzinfo=jst)))
    async with db.read() as s:
        citizen = (await s.exec(select(Citizen))).one()
    assert citizen.created_at == datetime(2026, 1, 1, 0, 0, tzinfo=UTC)
    assert citizen.created_at.tzinfo is not None


async def test_naive_datetimes_are_refused(db: Database) -> None:
    with pytest.raises(sa.exc.StatementError):
        async with db.write() as s:
            s.add(Citizen(channel_user_id="U3", created_at=datetime(2026, 1, 1)))


async def test_key_rotation_keeps_old_values_readable(database_url: str) -> None:
    old, new = parse_key("11" * 32), parse_key("22" * 32)
    first = Database(database_url, FieldCipher(old))
    async with first.write() as s:
        s.add(Citizen(channel_user_id="U4", display_name="旧鍵", created_at=datetime.now(UTC)))
    await first.dispose()
    rotated = Database(database_url, FieldCipher(new, retired=[old]))
    async with rotated.write() as s:
        s.add(Citizen(channel_user_id="U5", display_name="新鍵", created_at=datetime.now(UTC)))
    async with rotated.read() as s:
        names = {c.channel_user_id: c.display_name for c in (await s.exec(select(Citizen))).all()}
    await rotated.dispose()
    assert names == {"U4": "旧鍵", "U5": "新鍵"}
    only_new = Database(database_url, FieldCipher(new))
    with pytest.raises(DecryptionError):
        async with only_new.read() as s:
            list((await s.exec(select(Citizen))).all())
    await only_new.dispose()


async def test_the_inline_driver_keeps_the_database_contract(sqlite_db: Database) -> None:
    """The turn worker's driver (statements on the event loop's thread): transactions, rollback,
    encryption, aware times, BEGIN IMMEDIATE, and what another connection sees."""
    inline = Database(sqlite_db.url, sqlite_db.cipher, inline=True)
    try:
        async with inline.write() as s:
            s.add(Citizen(channel_user_id="U-inline", display_name="佐藤 一郎",
                          created_at=datetime(2026, 1, 1, 9, 0, tzinfo=timezone(timedelta(hours=9)))))
        with pytest.raises(RuntimeError):
            async with inline.write() as s:
                s.add(Citizen(channel_user_id="U-lost", created_at=datetime(2026, 1, 1, tzinfo=UTC)))
                await s.flush()
                raise RuntimeError("rolled back")
        async with sqlite_db.read() as s:  # another driver, another connection
            rows = (await s.exec(select(Citizen))).all()
        assert [(c.channel_user_id, c.display_name, c.created_at) for c in rows] == [
            ("U-inline", "佐藤 一郎", datetime(2026, 1, 1, 0, 0, tzinfo=UTC))]
        async with inline.engine.connect() as conn:
            raw = (await conn.execute(sa.text("SELECT display_name FROM citizen"))).scalar_one()
            assert isinstance((await conn.get_raw_connection()).driver_connection, InlineConnection)
        assert "佐藤" not in raw
        async with inline.write() as s:  # the write lock is taken at BEGIN: other writers wait
            await s.exec(sa.text("SELECT 1"))  # type: ignore[call-overload]
            other = Database(sqlite_db.url, sqlite_db.cipher)
            try:
                async with other.engine.connect() as conn:
                    await conn.exec_driver_sql("PRAGMA busy_timeout=0")
                    with pytest.raises(sa.exc.OperationalError, match="locked"):
                        await conn.exec_driver_sql("BEGIN IMMEDIATE")
            finally:
                await other.dispose()
    finally:
        await inline.dispose()
