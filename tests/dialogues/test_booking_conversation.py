"""Facility booking as whole conversations through the webhook and linesim (国富町 §8 表4)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from linesim.testing import LineSim
from tests.dialogues.conftest import START, quick_labels, texts
from tests.dialogues.counter_town import CounterTown, pick_date


@pytest.fixture
async def town(line_sim: LineSim, knowledge: Any, sqlite_db: Any, aiohttp_client: Any) -> AsyncIterator[CounterTown]:
    t = CounterTown(line_sim, knowledge, sqlite_db.url, __import__("civic.clock", fromlist=["FrozenClock"]).FrozenClock(START), aiohttp_client)
    await t.start()
    await t.seed_facilities()
    yield t


async def test_explore(town: CounterTown) -> None:
    chat = town.chat()
    for step in [("say", "来週の土曜に体育館を借りたい"), ("qr", "桜木体育館"), ("qr", "全面"), ("qr", "午後 13:00〜17:00"),
                 ("qr", "備品は使わない"), ("qr", "バレーボール"), ("say", "12"), ("qr", "町内在住"), ("qr", "同意する"),
                 ("qr", "予約する"), ("say", "予約を確認したい")]:
        out = await (chat.say(step[1]) if step[0] == "say" else chat.tap_quick_reply(step[1]))
        print("----", step)
        print(texts(out))
        print(quick_labels(out))
    assert False
