"""Shared fixtures: a fresh, migrated database on SQLite and on PostgreSQL for every data-layer test.

A test that asks for ``db`` (or ``database_url``) runs twice, once per backend. Each run of the
suite gets its own PostgreSQL database (created from the ``test`` connection), migrated once; each
test then starts from empty tables. SQLite tests copy a migrated template file.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import pytest_asyncio
import sqlalchemy as sa
from playwright.async_api import Browser, Page
from sqlalchemy.ext.asyncio import create_async_engine

from bot.inbox.models import INBOX_METADATA
from bot.migrate import upgrade
from bot.schema import load_metadata
from bot.settings import default_inbox_url
from civic.crypto import FieldCipher, parse_key
from civic.database import Database
from tests.browser import chromium, phone_page

TEST_KEY = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
PG_SERVER = os.environ.get("MADOGUCHI_TEST_PG", "postgresql+asyncpg://postgres@127.0.0.1:5432")
BACKENDS = ["sqlite", "postgresql"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "page" in getattr(item, "fixturenames", ()) or "browser" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.browser)


def _in_thread(fn: Callable[[], object]) -> object:
    """Session fixtures may be first requested from inside a running event loop."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(fn).result()


@pytest.fixture(scope="session")
def cipher() -> FieldCipher:
    return FieldCipher(parse_key(TEST_KEY))


async def _admin(sql: str) -> None:
    engine = create_async_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(sa.text(sql))
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("db") / "template.db"
    _in_thread(lambda: upgrade(f"sqlite+aiosqlite:///{path}"))
    return path


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    name = f"madoguchi_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    _in_thread(lambda: asyncio.run(_admin(f'CREATE DATABASE "{name}"')))
    url = f"{PG_SERVER}/{name}"
    try:
        _in_thread(lambda: upgrade(url))
        yield url
    finally:
        _in_thread(lambda: asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')))


def _sqlite_copy(template: Path, path: Path) -> str:
    """Copy a migrated SQLite database and its inbox store (``bot.settings.default_inbox_url``)."""
    shutil.copyfile(template, path)
    url = f"sqlite+aiosqlite:///{path}"
    shutil.copyfile(default_inbox_url(f"sqlite+aiosqlite:///{template}").split(":///", 1)[1],
                    default_inbox_url(url).split(":///", 1)[1])
    return url


async def _truncate_all(url: str) -> None:
    tables = ", ".join(f'"{t.name}"' for t in [*load_metadata().sorted_tables, *INBOX_METADATA.sorted_tables])
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    finally:
        await engine.dispose()


@pytest.fixture(params=BACKENDS)
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """The URL of an empty, migrated database (SQLite file or PostgreSQL)."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        yield _sqlite_copy(template, tmp_path / "madoguchi.db")
    else:
        url: str = request.getfixturevalue("postgres_database")
        await _truncate_all(url)
        yield url


@pytest.fixture
async def db(database_url: str, cipher: FieldCipher) -> AsyncIterator[Database]:
    database = Database(database_url, cipher)
    try:
        yield database
    finally:
        await database.dispose()


@pytest.fixture
async def sqlite_db(sqlite_template: Path, tmp_path: Path, cipher: FieldCipher) -> AsyncIterator[Database]:
    """SQLite only, for tests about behaviour above the data layer."""
    database = Database(_sqlite_copy(sqlite_template, tmp_path / "madoguchi.db"), cipher)
    try:
        yield database
    finally:
        await database.dispose()


@pytest_asyncio.fixture
async def browser() -> AsyncIterator[Browser]:
    """Headless Debian Chromium (see tests/browser.py)."""
    async with chromium() as b:
        yield b


@pytest_asyncio.fixture
async def page(browser: Browser) -> AsyncIterator[Page]:
    """A phone-sized page in ``browser``; JavaScript errors on the page fail the test."""
    async with phone_page(browser) as p:
        yield p
