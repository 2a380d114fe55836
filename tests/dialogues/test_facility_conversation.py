"""Facility search through LINE: nearest to a location, by kind, by keyword, staff order and visibility."""

from __future__ import annotations

import pytest
from sqlmodel import select

from civic.facilities.models import PRIVATE, Facility
from tests.dialogues.conftest import FAR_AWAY, INSIDE, Town, quick_labels, texts


@pytest.fixture
async def fac_town(town: Town) -> Town:
    await town.seed_facilities()
    return town


def bubbles(messages: list[dict]) -> list[dict]:
    [carousel] = [m for m in messages if m["type"] == "flex"]
    assert carousel["contents"]["type"] == "carousel"
    return carousel["contents"]["contents"]


def names(messages: list[dict]) -> list[str]:
    return [b["body"]["contents"][0]["text"] for b in bubbles(messages)]


async def test_a_location_gives_the_nearest_facilities(fac_town: Town) -> None:
    chat = fac_town.chat()
    out = await chat.send_location(*INSIDE)
    assert "近い施設を、近い順にご案内します" in texts(out)
    shown = bubbles(out)
    assert len(shown) == 5
    assert names(out)[:3] == ["みどり町総合体育館（アリーナみどり）", "みどり町武道館", "みどり町運動公園"]
    first = shown[0]
    body = [c["text"] for c in first["body"]["contents"]]
    assert body[1] == "体育館（アリーナ）" and body[2] == "現在地から約450m"
    assert body[3] == "本日は休館日です（定休日）"  # Mondays
    assert first["hero"]["url"] == "http://madoguchi.test/liff/map/thumbs/arena.png"
    labels = [b["action"]["label"] for b in first["footer"]["contents"]]
    assert labels == ["地図", "詳しく見る", "地図ページで見る"]
    assert first["footer"]["contents"][2]["action"]["uri"] == "http://madoguchi.test/liff/map/?facility=arena"
    sports_park = shown[2]
    assert "本日 " in sports_park["body"]["contents"][3]["text"]  # open today, with its hours


async def test_map_and_details_buttons(fac_town: Town) -> None:
    chat = fac_town.chat()
    out = await chat.send_location(*INSIDE)
    map_button = bubbles(out)[1]["footer"]["contents"][0]["action"]
    out = await chat.tap(map_button["data"], map_button["displayText"])
    [location] = out
    assert location["type"] == "location" and location["title"] == "みどり町武道館"
    assert (location["latitude"], location["longitude"]) == (35.0012, 135.0032)
    out = await chat.tap("facility=detail&id=" + map_button["data"].split("id=")[1], "詳しく")
    text = texts(out)
    assert "【みどり町武道館】" in text and "電話：0000-00-" in text and "本日は休館日です" in text
    assert quick_labels(out) == ["地図", "ほかの施設をさがす"]


async def test_near_a_kind_asks_for_the_location(fac_town: Town) -> None:
    chat = fac_town.chat()
    out = await chat.say("近くの体育館を教えて")
    assert "近くの体育館をおさがしですね" in texts(out)
    assert quick_labels(out) == ["位置情報を送る", "一覧で見る"]
    out = await chat.send_location(*INSIDE)
    found = names(out)
    assert found == ["みどり町総合体育館（アリーナみどり）", "みどり町桜木体育館",  # gyms only, nearest first
                     "みどり町農業者トレーニングセンター（三森体育館）", "みどり町本郷東部体育館",
                     "須川地区農業構造改善センター（須川体育館）"]
    assert "みどり町武道館" not in found


async def test_near_a_named_place(fac_town: Town) -> None:
    chat = fac_town.chat()
    out = await chat.say("みどり山公園の近くのテニスコート")
    assert "みどり山公園から近いテニスコートを" in texts(out)
    assert names(out) == ["みどり山公園 テニスコート"]


async def test_keyword_search_and_the_rich_menu(fac_town: Town) -> None:
    chat = fac_town.chat()
    out = await chat.say("武道館")
    assert names(out) == ["みどり町武道館"]
    out = await chat.tap("action=facility", "施設をさがす")
    assert "どの施設をおさがしですか" in texts(out)
    assert quick_labels(out)[:3] == ["現在地から探す", "体育館", "武道館"]
    out = await chat.tap_quick_reply("公園・広場")
    out = await chat.tap_quick_reply("一覧で見る")
    assert names(out) == ["みどり町運動公園", "みどり山公園 多目的広場"]  # the staff's display order
    assert quick_labels(out) == ["近い順に並べる", "地図で見る"]


async def test_display_order_and_visibility_are_the_staffs(fac_town: Town) -> None:
    async with fac_town.db.write() as s:
        gyms = (await s.exec(select(Facility).where(Facility.category == "gymnasium"))).all()
        for f in gyms:
            if f.code == "sakuragi-gym":
                f.visibility = PRIVATE
            if f.code == "kihara-gym":
                f.display_order = -1
            s.add(f)
    chat = fac_town.chat()
    out = await chat.tap("action=facility")
    await chat.tap_quick_reply("体育館")
    out = await chat.tap_quick_reply("一覧で見る")
    listed = names(out)
    assert "みどり町桜木体育館" not in listed
    assert listed[0] == "木原地区農業構造改善センター（木原体育館）"
    out = await chat.send_location(*INSIDE)
    assert "みどり町桜木体育館" not in names(out)


async def test_a_location_far_away_lists_the_towns_facilities(fac_town: Town) -> None:
    chat = fac_town.chat()
    out = await chat.send_location(*FAR_AWAY)
    assert "みどり町から離れているようです" in texts(out)
    assert len(bubbles(out)) == 10 and names(out)[0] == "みどり町総合体育館（アリーナみどり）"
