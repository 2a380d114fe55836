"""Copying one store (the main database or the inbox store) out and back in, per backend.

SQLite: the online backup API (``sqlite3.Connection.backup``) copies a consistent snapshot page by
page while the service keeps writing (WAL). PostgreSQL: ``pg_dump --format=custom`` (a consistent
snapshot in one transaction) and ``pg_restore`` into an emptied ``public`` schema. Both are
blocking and run in a worker thread or the CLI.

``digest`` gives each table's row count and a hash of its rows, the measure the restore drill
compares before and after.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool


class StoreError(Exception):
    """A store that cannot be copied or restored, said plainly."""


@dataclass(frozen=True)
class Store:
    name: str  # "main" | "inbox"
    url: str  # the service's async URL (sqlite+aiosqlite:///… or postgresql+asyncpg://…)

    @property
    def sqlite(self) -> bool:
        return self.url.startswith("sqlite")

    @property
    def path(self) -> Path:
        database = make_url(self.url).database
        if not database:
            raise StoreError(f"{self.name}: SQLite のファイルが指定されていません")
        return Path(database)


def stores_of(database_url: str, inbox_url: str) -> list[Store]:
    """The stores a backup holds: the inbox only when it is not the main database itself."""
    found = [Store("main", database_url)]
    if inbox_url != database_url:
        found.append(Store("inbox", inbox_url))
    return found


def _libpq(store: Store) -> tuple[list[str], dict[str, str]]:
    """Connection options for pg_dump/pg_restore/psql, with the password in the environment."""
    url = make_url(store.url)
    args = ["--host", url.host or "127.0.0.1", "--port", str(url.port or 5432),
            "--username", url.username or "postgres", "--dbname", url.database or "postgres"]
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return args, env


def _run(command: list[str], env: dict[str, str], what: str) -> None:
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise StoreError(f"{command[0]} が見つかりません（PostgreSQL のクライアントを入れてください）") from None
    if done.returncode != 0:
        raise StoreError(f"{what}に失敗しました: {done.stderr.strip()[:500]}")


def dump(store: Store, target: Path) -> None:
    """A consistent copy of ``store`` into the plain file ``target``."""
    if store.sqlite:
        if not store.path.exists():
            raise StoreError(f"{store.name}: {store.path} がありません")
        source = sqlite3.connect(f"file:{store.path}?mode=ro", uri=True)
        copy = sqlite3.connect(target)
        try:
            source.backup(copy, pages=4096)
        finally:
            copy.close()
            source.close()
        return
    args, env = _libpq(store)
    _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", "--file", str(target), *args],
         env, f"{store.name} のダンプ")


def restore(store: Store, source: Path) -> None:
    """Replace ``store``'s contents with the plain copy ``source`` (the service must be stopped)."""
    if store.sqlite:
        store.path.parent.mkdir(parents=True, exist_ok=True)
        staged = store.path.with_name(store.path.name + ".restoring")
        copy = sqlite3.connect(source)
        into = sqlite3.connect(staged)
        try:
            copy.backup(into)
        finally:
            into.close()
            copy.close()
        for leftover in (Path(f"{store.path}-wal"), Path(f"{store.path}-shm")):
            leftover.unlink(missing_ok=True)
        os.replace(staged, store.path)
        return
    args, env = _libpq(store)
    # An emptied schema, not --clean: tables the backup does not know (none, since a newer schema is
    # refused) must not survive beside the restored ones.
    _run(["psql", "--no-psqlrc", "--quiet", "--set", "ON_ERROR_STOP=1", *args, "--command",
          "DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;"], env, f"{store.name} の初期化")
    _run(["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", *args, str(source)],
         env, f"{store.name} の復元")


async def _connect(store: Store) -> AsyncEngine:
    return create_async_engine(store.url, poolclass=NullPool)


async def revisions(store: Store) -> list[str]:
    """The Alembic revisions ``store`` is at (empty for a store never migrated)."""
    engine = await _connect(store)
    try:
        async with engine.connect() as conn:
            has = await conn.run_sync(lambda sync: inspect(sync).has_table("alembic_version"))
            if not has:
                return []
            rows = await conn.execute(text("SELECT version_num FROM alembic_version"))
            return sorted(str(r[0]) for r in rows)
    finally:
        await engine.dispose()


async def digest(store: Store) -> dict[str, tuple[int, str]]:
    """Every table's row count and a hash of its rows (order-independent)."""
    engine = await _connect(store)
    found: dict[str, tuple[int, str]] = {}
    try:
        async with engine.connect() as conn:
            tables = await conn.run_sync(lambda sync: inspect(sync).get_table_names())
            for table in sorted(tables):
                rows = (await conn.execute(text(f'SELECT * FROM "{table}"'))).all()
                lines = sorted(repr(tuple(row)) for row in rows)
                found[table] = (len(rows), hashlib.sha256("\n".join(lines).encode()).hexdigest())
    finally:
        await engine.dispose()
    return found


async def other_sessions(store: Store) -> list[str]:
    """PostgreSQL sessions on ``store``'s database other than ours (a running service holds some)."""
    if store.sqlite:
        return []
    engine = await _connect(store)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(text(
                "SELECT coalesce(nullif(application_name, ''), client_addr::text, 'local') FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"))
            return [str(r[0]) for r in rows]
    finally:
        await engine.dispose()


async def create_scratch_database(store: Store) -> Store:
    """An empty PostgreSQL database beside ``store``'s, for ``backup --verify``."""
    name = f"madoguchi_verify_{os.getpid()}_{os.urandom(3).hex()}"
    engine = create_async_engine(store.url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        await engine.dispose()
    return Store(store.name, make_url(store.url).set(database=name).render_as_string(hide_password=False))


async def drop_scratch(store: Store) -> None:
    """Remove a scratch store made by ``create_scratch_database`` (SQLite scratch files go with
    their temporary directory)."""
    if store.sqlite:
        return
    url = make_url(store.url)
    if not (url.database or "").startswith("madoguchi_verify_"):
        raise StoreError(f"{url.database} は検証用のデータベースではありません")
    engine = create_async_engine(url.set(database="postgres"), poolclass=NullPool, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
    finally:
        await engine.dispose()
