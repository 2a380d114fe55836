"""The counter role's app on a test database (SQLite and PostgreSQL), with staff signed in."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.counter_role import CounterSettings, build_counter_app
from civic.clock import FrozenClock
from civic.counter.desk import CounterDesk
from civic.counter.ocr.engines import TesseractEngine
from civic.database import Database
from civic.procedures.payload import QrKeyring
from civic.staff.services import create_staff
from tests.conftest import TEST_KEY

PREFIX = "/admin/api/v1"
QR_KEY = bytes(range(32))
TOWN = Path("content/midori")


@dataclass
class Counter:
    client: Any
    db: Database
    clock: FrozenClock
    tokens: dict[str, dict[str, str]]
    #: The town's layouts, templates and 担当課 the app serves (a test may change them, as a town edits its files).
    desk: CounterDesk | None = None

    async def call(self, method: str, path: str, *, who: str = "kanri", expect: int | None = None, **kw: Any) -> Any:
        r = await self.client.request(method, PREFIX + path, headers=self.tokens[who], **kw)
        body = await r.json() if r.content_type == "application/json" else await r.read()
        assert expect is None or r.status == expect, (method, path, r.status, body)
        return body


def settings() -> CounterSettings:
    return CounterSettings(bytes.fromhex(TEST_KEY), "sqlite+aiosqlite:///unused.db", Path("/nonexistent"))


@pytest.fixture
async def counter(aiohttp_client: Any, db: Database) -> Counter:
    clock = FrozenClock(datetime(2026, 12, 4, 1, tzinfo=UTC))
    desk = CounterDesk.for_town(TOWN, TesseractEngine, QrKeyring(QR_KEY))
    client = await aiohttp_client(build_counter_app(settings(), clock=clock, desk=desk, db=db))
    tokens = {}
    for login, role in (("kanri", "admin"), ("madoguchi", "counter")):
        await create_staff(db, clock, login, "staff-pass-2026", login, role)
        r = await client.post(f"{PREFIX}/auth/login", json={"login": login, "password": "staff-pass-2026"})
        tokens[login] = {"Authorization": f"Bearer {(await r.json())['token']}"}
    return Counter(client, db, clock, tokens, desk)


def tennyu(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "kind": "tennyu",
        "household": {"head": "山田太郎", "moved_on": "令和8年11月20日", "origin": "久留米市",
                      "new_address": {"postal_code": "838-0000", "text": "福岡県みどり郡みどり町大字緑川12番地"},
                      "old_address": {"text": "福岡県久留米市東町1番地"}},
        "members": [{"name": "山田太郎", "kana": "やまだたろう", "birth_date": "昭和60年3月2日", "sex": "男",
                     "relationship": "世帯主", "individual_number": "123456789018", "resident_code": "12345678903"},
                    {"name": "山田花子", "kana": "ヤマダハナコ", "birth_date": "2022-12-01", "sex": "女",
                     "relationship": "子"}],
    }
    body.update(changes)
    return body


def rng() -> random.Random:
    return random.Random(23)
