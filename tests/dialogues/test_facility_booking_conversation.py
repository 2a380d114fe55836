"""From the facility search to the booking flow: 予約する on a facility the citizen can book.

The search and the booking read the same catalogue rows, so the button carries the facility's id
(``action=booking&fac=ID``) and the booking flow starts with that facility chosen: it asks the unit
when there are several, otherwise the day. Facilities with no unit bookable online get no button.
Without the booking service (the plain ``Town`` of test_facility_conversation.py) there is none
either. The clock stands at Monday 9 June 2025, 10:00.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlmodel import select

from civic.clock import FrozenClock
from civic.facilities.catalogue import touch
from civic.facilities.models import AVAILABILITY_ONLY, Facility, Unit
from conversation.state import ConversationState
from linesim.testing import LineSim
from tests.dialogues.conftest import INSIDE, START, quick_labels, texts
from tests.dialogues.counter_town import CounterTown, pick_date

ARENA = "みどり町総合体育館（アリーナみどり）"
KITAHARA = "みどり町北原体育館"
NEAR_KITAHARA = (35.0255, 135.0041)  # 北原小学校前


@pytest.fixture
async def town(line_sim: LineSim, knowledge: Any, sqlite_db: Any, aiohttp_client: Any) -> AsyncIterator[CounterTown]:
    t = CounterTown(line_sim, knowledge, sqlite_db.url, FrozenClock(START), aiohttp_client)
    await t.start()
    await t.seed_facilities()
    yield t


def bubbles(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    [carousel] = [m for m in messages if m["type"] == "flex"]
    return carousel["contents"]["contents"]


def bubble(messages: list[dict[str, Any]], name: str) -> dict[str, Any]:
    return next(b for b in bubbles(messages) if b["body"]["contents"][0]["text"] == name)


def buttons(b: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["action"]["label"]: c["action"] for c in b["footer"]["contents"]}


async def _facility_id(town: CounterTown, code: str) -> int:
    async with town.db.read() as s:
        f = (await s.exec(select(Facility).where(Facility.code == code))).one()
    assert f.id is not None
    return f.id


async def _flow(town: CounterTown, user: str) -> dict[str, Any] | None:
    async with town.db.read() as s:
        row = await s.get(ConversationState, user)
    return json.loads(row.data).get("flow") if row else None


async def test_book_from_the_carousel_asks_only_what_is_missing(town: CounterTown) -> None:
    chat = town.chat()
    found = await chat.send_location(*INSIDE)
    arena = bubble(found, ARENA)
    assert list(buttons(arena)) == ["地図", "詳しく見る", "予約する", "地図ページで見る"]
    book = buttons(arena)["予約する"]
    arena_id = await _facility_id(town, "arena")
    assert book["data"] == f"action=booking&fac={arena_id}"
    assert book["displayText"] == f"{ARENA}を予約したい"

    out = await chat.tap(book["data"], book["displayText"])
    said = texts(out)
    assert "施設のご予約ですね。ありがとうございます。" in said
    assert f"{ARENA}のどちらをご利用になりますか" in said
    assert "どちらの施設をご予約になりますか" not in said  # the facility is not asked again
    # the units citizens can book online (the meeting room is availability-only)
    assert quick_labels(out) == ["アリーナ全面", "アリーナ半面A（北側）", "アリーナ半面B（南側）"]
    flow = await _flow(town, chat.user)
    assert flow is not None and (flow["name"], flow["state"]) == ("booking", "unit")
    assert flow["data"]["facility_id"] == arena_id

    out = await chat.tap_quick_reply("アリーナ全面")
    assert "「アリーナ全面」ですね。" in texts(out) and "ご利用になる日を" in texts(out)
    out = await pick_date(chat, "2025-06-21")
    assert "2025年6月21日(土)のアリーナ全面の空いている時間帯です" in texts(out)

    # 予約する on another facility while this booking is open: continue, or start again with that one
    budokan = buttons(bubble(found, "みどり町武道館"))["予約する"]
    out = await chat.tap(budokan["data"], budokan["displayText"])
    assert "「施設の予約」の途中です。続きから進めます。" in texts(out)
    assert quick_labels(out) == ["はじめからやり直す"]
    again = out[-1]["quickReply"]["items"][0]["action"]["data"]
    assert again == budokan["data"] + "&restart=1"
    out = await chat.tap_quick_reply("はじめからやり直す")
    assert "みどり町武道館のどちらをご利用になりますか" in texts(out)
    assert "柔道場" in quick_labels(out)


async def test_one_unit_goes_straight_to_the_day_also_from_the_details(town: CounterTown) -> None:
    chat = town.chat()
    found = await chat.send_location(*NEAR_KITAHARA)
    assert bubbles(found)[0]["body"]["contents"][0]["text"] == KITAHARA
    details = buttons(bubble(found, KITAHARA))["詳しく見る"]
    out = await chat.tap(details["data"], details["displayText"])
    assert f"【{KITAHARA}】" in texts(out)
    assert quick_labels(out) == ["地図", "予約する", "ほかの施設をさがす"]

    out = await chat.tap_quick_reply("予約する")
    said = texts(out)
    assert f"{KITAHARA} 全面\nご利用になる日を" in said  # one unit: chosen too, straight to the day
    assert "どちらの施設" not in said and "どちらをご利用" not in said
    assert "日付を選ぶ" in quick_labels(out)
    flow = await _flow(town, chat.user)
    assert flow is not None and flow["state"] == "day"
    assert flow["data"]["facility_id"] == await _facility_id(town, "kitahara-gym")
    out = await pick_date(chat, "2025-06-21")
    assert "2025年6月21日(土)の全面の空いている時間帯です" in texts(out)


async def test_a_facility_that_cannot_be_booked_online_has_no_button(town: CounterTown) -> None:
    async with town.db.write() as s:
        f = (await s.exec(select(Facility).where(Facility.code == "kitahara-gym"))).one()
        for unit in (await s.exec(select(Unit).where(Unit.facility_id == f.id))).all():
            unit.visibility = AVAILABILITY_ONLY  # availability shown, booked at the counter
            s.add(unit)
        touch(f, START)
        s.add(f)
    kitahara_id = await _facility_id(town, "kitahara-gym")
    chat = town.chat()
    found = await chat.send_location(*NEAR_KITAHARA)
    shown = bubbles(found)
    assert shown[0]["body"]["contents"][0]["text"] == KITAHARA
    assert list(buttons(shown[0])) == ["地図", "詳しく見る", "地図ページで見る"]
    assert all("予約する" in buttons(b) for b in shown[1:])  # the others still can be booked
    details = buttons(shown[0])["詳しく見る"]
    out = await chat.tap(details["data"], details["displayText"])
    assert quick_labels(out) == ["地図", "ほかの施設をさがす"]

    # a button from before the change: said plainly, and the citizen may pick another facility
    out = await chat.tap(f"action=booking&fac={kitahara_id}", f"{KITAHARA}を予約したい")
    said = texts(out)
    assert "申し訳ありません。その施設は、いまはLINEからご予約いただけません。" in said
    assert "どちらの施設をご予約になりますか" in said
    assert "北原体育館" not in quick_labels(out)


async def test_the_towns_everyday_name_finds_the_facility(town: CounterTown) -> None:
    """Residents and the town's FAQ call the arena 「総合体育館」: typed in the booking, it is that
    facility, not a list of every gym (found trying the demo)."""
    chat = town.chat()
    await chat.say("来週の土曜に体育館を借りたい")
    out = await chat.say("総合体育館")
    assert "いくつか見つかりました" not in texts(out)
    assert "アリーナみどり" in texts(out)


async def test_asking_where_a_facility_is_while_booking_shows_it_then_the_booking_goes_on(town: CounterTown) -> None:
    """「テニスコートってどこにありますか」 where the booking asks which facility: the citizen asked where it is,
    so the facility search shows it (address, map) instead of choosing it for the booking; the booking
    then asks its question again."""
    chat = town.chat()
    out = await chat.say("体育館を予約したい")
    assert "どちらの施設をご予約になりますか" in texts(out)
    out = await chat.say("テニスコートってどこにありますか")
    card = json.dumps([m for m in out if m["type"] == "flex"], ensure_ascii=False)
    assert "みどり山公園 テニスコート" in card and "みどり町北原3020番地" in card
    assert "どちらをご利用になりますか" not in texts(out)  # not chosen for the booking
    assert "先ほどの「施設の予約」の続きです" in texts(out) and "どちらの施設をご予約になりますか" in texts(out)
    assert (await _flow(town, chat.user) or {}).get("state") == "facility"
    out = await chat.say("北原体育館")  # and the booking still takes its answer
    assert (await _flow(town, chat.user) or {}).get("data", {}).get("facility_id") == await _facility_id(town, "kitahara-gym")
