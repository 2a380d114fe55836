"""Long lists on a phone (issue #13): no message lists more than ten items; the rest comes with
「もっと見る」, and what is on a later page can still be chosen. (Garbage districts and form choices:
test_garbage_questions.py, test_form_conversation.py.)"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest
from sqlmodel import select

from civic.booking.models import Reservation
from civic.scenarios.services import create, publish
from tests.dialogues.conftest import FAR_AWAY, START, Chat, quick_labels, texts
from tests.dialogues.counter_town import CounterTown, flex_actions

MORE = "もっと見る"


@pytest.fixture
def town(booking_town: CounterTown) -> CounterTown:
    return booking_town


def short(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Assert that no message lists more than ten things (numbered lines, bubbles, choice buttons)."""
    for message in messages:
        if message["type"] == "text":
            assert len(re.findall(r"^\d+\. ", message["text"], re.M)) <= 10, message["text"]
        if message["type"] == "flex" and message["contents"]["type"] == "carousel":
            assert len(message["contents"]["contents"]) <= 10
        assert len(message.get("quickReply", {}).get("items", [])) <= 13
    return messages


def bubble_names(messages: list[dict[str, Any]]) -> list[str]:
    [carousel] = [m for m in messages if m["type"] == "flex"]
    return [b["body"]["contents"][0]["text"] for b in carousel["contents"]["contents"]]


async def test_the_towns_facilities_ten_at_a_time(town: CounterTown) -> None:
    chat = town.chat()
    out = short(await chat.send_location(*FAR_AWAY))
    first = bubble_names(out)
    assert len(first) == 10 and quick_labels(out) == [MORE]
    out = short(await chat.tap_quick_reply(MORE))
    second = bubble_names(out)
    assert second and not set(first) & set(second)
    assert len(first) + len(second) == 17  # the demo town's seventeen facilities, each once
    assert "みどり山公園 テニスコート" in first + second and quick_labels(out) != [MORE]


async def test_a_facility_on_the_second_page_can_be_booked(town: CounterTown) -> None:
    chat = town.chat()
    out = short(await chat.tap("action=booking", "施設の予約"))
    labels = quick_labels(out)
    assert labels[10:] == [MORE, "カレンダーで見る"] and labels[0] == "アリーナみどり"
    out = short(await chat.tap_quick_reply(MORE))
    assert "みどり山公園 テニスコート" in quick_labels(out) and "アリーナみどり" not in quick_labels(out)
    out = await chat.tap_quick_reply("みどり山公園 テニスコート")
    assert "みどり山公園 テニスコートのどちらをご利用になりますか" in texts(out)


async def test_time_slots_ten_at_a_time_and_a_later_one_chosen(town: CounterTown) -> None:
    chat = town.chat()
    await chat.say("来週の土曜にテニスコートを借りたい")
    out = short(await chat.tap_quick_reply("1番コート"))
    labels = quick_labels(out)
    assert labels[0] == "8:00〜9:00（1時間）" and labels[9] == "17:00〜18:00（1時間）" and MORE in labels
    assert "（1〜10件目／全13件）" in texts(out)
    out = short(await chat.tap_quick_reply(MORE))
    assert quick_labels(out)[:3] == ["18:00〜19:00（1時間）", "19:00〜20:00（1時間）", "20:00〜21:00（1時間）"]
    out = await chat.tap_quick_reply("20:00〜21:00（1時間）")
    assert "6月21日(土) 20:00〜21:00（1時間）ですね" in texts(out)


async def test_my_reservations_ten_at_a_time(town: CounterTown) -> None:
    chat = town.chat()
    gyms = [("桜木", "全面"), ("本郷東部", "全面"), ("北原", "全面")]
    day, booked = date(2025, 6, 14), []
    while len(booked) < 11:
        for name, unit in gyms:
            if len(booked) < 11:
                booked.append((await town.book(chat.user, await town.unit_id(name, unit), day, (540, 720))).number)
        day += timedelta(days=7)
    out = short(await chat.say("予約を確認したい"))
    assert "ご予約は11件です。" in texts(out) and "（1〜10件目／全11件）" in texts(out)
    assert len(flex_actions(out[-1])) == 20 and quick_labels(out)[0] == MORE
    out = short(await chat.tap_quick_reply(MORE))
    [last] = [a for a in flex_actions(out[-1]) if a["label"] == "取消"]
    assert booked[-1] in last["data"]
    async with town.db.read() as s:
        assert len((await s.exec(select(Reservation))).all()) == 11


async def test_a_scenario_with_twelve_options(town: CounterTown) -> None:
    options = [{"label": f"観光地{i}", "next": "end"} for i in range(1, 13)]
    tree = {"key": "kankou", "title": "観光案内", "keywords": ["観光案内"], "start": "root",
            "nodes": {"root": {"messages": ["どこに行きますか？"], "options": options},
                      "end": {"messages": ["よい旅を。"]}}}
    async with town.db.write() as s:
        row = await create(s, tree, staff="観光課", now=START)
        await publish(s, row, staff="観光課", now=START)
    chat = town.chat()
    out = short(await chat.tap("action=scenario&key=kankou", "観光案内"))
    assert quick_labels(out) == [f"観光地{i}" for i in range(1, 11)] + [MORE]
    out = short(await chat.tap_quick_reply(MORE))
    assert quick_labels(out) == ["観光地11", "観光地12"]
    out = await chat.tap_quick_reply("観光地12")
    assert "よい旅を。" in texts(out)


async def _answer_everything(chat: Chat, out: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for _ in range(20):
        if "ご回答ありがとうございました" in texts(out):
            return out
        labels = quick_labels(out)
        if "日付を選ぶ" in labels:
            out = await chat.say("2025年6月1日")
        else:
            out = await chat.tap_quick_reply("はい" if "はい" in labels else labels[0])
    raise AssertionError("no result")


async def test_procedure_results_ten_per_message(town: CounterTown) -> None:
    chat = town.chat()
    out = await chat.say("家族が亡くなった時の手続きを知りたい")
    out = await _answer_everything(chat, out)
    short(out)
    joined = "\n".join(m["text"] for m in out if m["type"] == "text")
    numbers = [int(n) for n in re.findall(r"^(\d+)\. ", joined, re.M)]
    assert len(numbers) > 10 and numbers == list(range(1, len(numbers) + 1))  # every one, in order
