"""Alembic environment: async engines for SQLite and PostgreSQL; all domains' tables."""

from __future__ import annotations

import asyncio
import os

from alembic import context
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.schema import load_metadata
from civic.database import ensure_sqlite_directory

config = context.config
target_metadata = load_metadata()


def _url() -> str:
    url = config.attributes.get("url") or os.environ.get("DATABASE_URL") or config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no database URL: set DATABASE_URL or sqlalchemy.url")
    return str(url)


def _configure(connection=None, url: str | None = None) -> None:
    context.configure(
        connection=connection,
        url=url,
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
    )


def run_offline() -> None:
    _configure(url=_url())
    with context.begin_transaction():
        context.run_migrations()


#: Instances started at once on one PostgreSQL migrate one after the other: the lock is taken in the
#: migrations' transaction, before Alembic reads the applied revisions, and freed by its commit.
MIGRATION_LOCK = (19_003, 1)


def _run_sync(connection) -> None:
    _configure(connection=connection)
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:a, :b)"),
                               {"a": MIGRATION_LOCK[0], "b": MIGRATION_LOCK[1]})
        context.run_migrations()


async def run_online() -> None:
    url = _url()
    ensure_sqlite_directory(url)
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run_sync)
            await connection.commit()
    finally:
        await engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    asyncio.run(run_online())
