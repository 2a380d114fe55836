"""An abandoned flow never comes back (issue #13): not when the citizen writes again, and not when
the flow that interrupted it ends. Being interrupted counts as a step: the timeout of an
interrupted flow runs from the interruption. The default timeout is 30 minutes."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlmodel import select

from civic.reports.models import ReportPhoto
from conversation.state import ConversationState
from tests.dialogues.conftest import photo, quick_labels, texts
from tests.dialogues.counter_town import CounterTown

GONE = "「施設の予約」は、しばらく操作がなかったため終了しました"


@pytest.fixture
def town(booking_town: CounterTown) -> CounterTown:
    return booking_town


async def _state(town: CounterTown, user: str) -> dict[str, Any]:
    async with town.db.read() as s:
        row = await s.get(ConversationState, user)
    return json.loads(row.data) if row else {}


async def test_an_interrupted_flow_left_too_long_does_not_come_back(town: CounterTown) -> None:
    chat = town.chat()
    await chat.say("体育館を予約したい")
    town.advance(minutes=1)
    out = await chat.say("ペットボトル")  # the garbage lookup interrupts the booking and asks the area
    assert "お住まいの地区を教えて" in texts(out)
    town.advance(minutes=35)
    out = await chat.say("本町")
    said = texts(out)
    assert GONE in said
    assert "「施設の予約」の続きです" not in said and "どちらの施設" not in said
    assert "本町の収集日です。" in said  # and the message itself is answered afresh
    state = await _state(town, chat.user)
    assert "flow" not in state and "suspended" not in state


async def test_an_interruption_is_a_step_of_the_interrupted_flow(town: CounterTown) -> None:
    chat = town.chat()
    await chat.say("体育館を予約したい")
    town.advance(minutes=25)
    await chat.say("ペットボトル")  # still within 30 minutes: the booking waits behind the lookup
    town.advance(minutes=15)  # 40 minutes after the booking's own last step, 15 after the interruption
    out = await chat.tap_quick_reply("本町")
    said = texts(out)
    assert "地区を「本町」で登録しました" in said and GONE not in said
    assert "先ほどの「施設の予約」の続きです。" in said and "どちらの施設をご予約になりますか" in said


async def test_an_abandoned_interrupted_report_leaves_no_draft_photo(town: CounterTown) -> None:
    chat = town.chat()
    await chat.tap("action=report")
    await chat.tap_quick_reply("道路の穴・段差")
    await chat.send_photo(photo())
    async with town.db.read() as s:
        assert len((await s.exec(select(ReportPhoto))).all()) == 1
    out = await chat.say("ペットボトル")
    assert quick_labels(out) == ["本町", "駅前", "南台", "あとで"]
    town.advance(minutes=31)
    out = await chat.say("こんにちは")
    assert "「道路などの損傷の通報」は、しばらく操作がなかったため終了しました" in texts(out)
    async with town.db.read() as s:
        assert (await s.exec(select(ReportPhoto))).all() == []
