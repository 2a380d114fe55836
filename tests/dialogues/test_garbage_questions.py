"""Garbage questions residents really ask (issue #13): the item after an unanswered area question,
a district and a category (「本町の燃やすごみの日」), designated bags, a 粗大ごみ application, near
spellings, and the demo town's 20 districts ten at a time — in LINE and in the web chat.

The clock stands at Monday 9 June 2025, 10:00 (after the 8:30 deadline). In the fixture calendar
本町 collects 燃やすごみ on Mondays and Thursdays, 駅前 on Tuesdays and Fridays.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from civic.clock import FrozenClock
from dialogues.handler import DialogueHandler
from dialogues.services import Knowledge, Services
from liff.webchat import create_webchat_app
from linesim.testing import LineSim
from tests.dialogues.conftest import START, Town, quick_labels, texts
from tests.dialogues.counter_town import CounterTown

NOT_A_DISTRICT = "地区名が見つかりませんでした"


@dataclass
class WebChat:
    """One browser session of the town's web chat (the same handler as LINE)."""

    client: Any
    session: str | None = None
    last: list[dict[str, Any]] = field(default_factory=list)

    async def _post(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        r = await self.client.post("/api/messages", json={**body, **({"session": self.session} if self.session else {})})
        assert r.status == 200, await r.text()
        reply = await r.json()
        self.session, self.last = reply["session"], reply["messages"]
        return self.last

    async def say(self, text: str) -> list[dict[str, Any]]:
        return await self._post({"text": text})

    async def tap_quick_reply(self, label: str) -> list[dict[str, Any]]:
        for item in self.last[-1].get("quickReply", {}).get("items", []):
            if item["action"].get("label") == label:
                return await self._post({"postback": item["action"]["data"]})
        raise AssertionError(f"no quick reply {label!r} in {quick_labels(self.last)}")


async def _web(aiohttp_client: Any, knowledge: Knowledge, town: Town) -> WebChat:
    handler = DialogueHandler(Services(knowledge, clock=town.clock))
    return WebChat(await aiohttp_client(create_webchat_app(handler, town.db, town.clock)))


@pytest.fixture
async def midori_town(line_sim: LineSim, midori_knowledge: Knowledge, sqlite_db: Any,
                      aiohttp_client: Any) -> AsyncIterator[Town]:
    t = Town(line_sim, midori_knowledge, sqlite_db.url, FrozenClock(START), aiohttp_client)
    await t.start()
    yield t


async def _items_after_the_area_question(chat: Any) -> None:
    out = await chat.say("ペットボトル")
    assert "「ペットボトル」は【資源ごみ】です" in texts(out) and "お住まいの地区を教えて" in texts(out)
    out = await chat.say("乾電池")  # the area question put aside: another item instead
    assert NOT_A_DISTRICT not in texts(out)
    assert "「乾電池」は【有害ごみ】です" in texts(out) and "透明な袋に入れて" in texts(out)
    assert quick_labels(out) == ["ほかの品目を調べる", "地区を登録"]  # not asked again, but offered
    out = await chat.say("フライパンの捨て方")
    assert "「フライパン」は【燃やさないごみ】です" in texts(out) and NOT_A_DISTRICT not in texts(out)
    out = await chat.say("スプレー缶")
    assert "「スプレー缶」は【有害ごみ】です" in texts(out) and NOT_A_DISTRICT not in texts(out)


async def test_items_after_an_unanswered_area_question_are_answered(town: Town) -> None:
    await _items_after_the_area_question(town.chat())


async def test_items_after_an_unanswered_area_question_in_the_web_chat(town: Town, aiohttp_client: Any) -> None:
    await _items_after_the_area_question(await _web(aiohttp_client, town.knowledge, town))


async def test_a_district_that_is_not_one_is_still_said_kindly(town: Town) -> None:
    chat = town.chat()
    await chat.say("ペットボトル")
    out = await chat.say("月の裏側")  # neither a district nor a garbage question
    assert NOT_A_DISTRICT in texts(out) and quick_labels(out) == ["本町", "駅前", "南台", "あとで"]
    out = await chat.say("駅前です")
    assert "地区を「駅前」で登録しました" in texts(out) and "駅前の次の資源ごみの収集日は 6月16日（月） です" in texts(out)


async def _district_and_category(chat: Any) -> None:
    out = await chat.say("本町の燃やすごみの日")
    said = texts(out)
    assert "包丁" not in said
    assert "本町の燃やすごみの収集日は 毎週 月・木曜日 です。次は 6月12日（木） です。" in said
    out = await chat.say("駅前の燃えるゴミはいつ？")  # the residents' word for the town's category
    assert "駅前の燃やすごみの収集日は 毎週 火・金曜日 です。次は 明日 6月10日（火） です。" in texts(out)


async def test_a_district_and_a_category_ask_for_the_collection_day(town: Town) -> None:
    await _district_and_category(town.chat())


async def test_a_district_and_a_category_in_the_web_chat(town: Town, aiohttp_client: Any) -> None:
    await _district_and_category(await _web(aiohttp_client, town.knowledge, town))


async def test_collection_days_without_a_district_ask_for_it_once(town: Town) -> None:
    chat = town.chat()
    out = await chat.say("ごみの日はいつ？")
    assert "収集日は地区ごとに決まっています" in texts(out) and quick_labels(out) == ["本町", "駅前", "南台", "あとで"]
    out = await chat.tap_quick_reply("南台")
    said = texts(out)
    assert "地区を「南台」で登録しました" in said and "南台の収集日です。" in said
    for line in ("・燃やすごみ：毎週 月・木曜日（次は 6月12日（木））", "・燃やさないごみ：第2 水曜日（次は 6月11日（水））",
                 "・資源ごみ：毎週 金曜日（次は 6月13日（金））", "・有害ごみ：第3 火曜日（次は 6月17日（火））"):
        assert line in said
    out = await chat.say("有害ごみの日")  # the district is remembered now
    assert "南台の有害ごみの収集日は 第3 火曜日 です。次は 6月17日（火） です。" in texts(out)


async def test_designated_bags_are_a_question_not_paper_bags(town: Town) -> None:
    chat = town.chat()
    await chat.say("ペットボトル")
    await chat.tap_quick_reply("本町")  # just talked about garbage: the next words are looked up first
    out = await chat.say("指定ごみ袋")
    said = texts(out)
    assert "紙袋" not in said and "【資源ごみ】" not in said
    assert "指定ごみ袋はどこで買えますか" in said and "取扱店で販売しています" in said
    out = await chat.say("紙袋")  # the item itself is still found
    assert "「紙袋」は【資源ごみ】です" in texts(out)


async def test_a_bulky_garbage_application_is_not_a_facility_booking(line_sim: LineSim, knowledge: Knowledge,
                                                                      sqlite_db: Any, aiohttp_client: Any) -> None:
    town = CounterTown(line_sim, knowledge, sqlite_db.url, FrozenClock(START), aiohttp_client)
    await town.start()  # the booking flow is on: 申し込みたい must still not start it
    await town.seed_facilities()
    chat = town.chat()
    out = await chat.say("粗大ごみを申し込みたい")
    said = texts(out)
    assert "施設のご予約" not in said and "どちらの施設" not in said
    assert "粗大ごみは申込制です" in said and "環境課（0000-00-1171）" in said
    out = await chat.say("粗大ごみの収集を予約したい")
    assert "施設のご予約" not in texts(out) and "粗大ごみ" in texts(out)
    out = await chat.say("来週の土曜に体育館を借りたい")  # a real booking still is one
    assert "施設のご予約ですね" in texts(out)


async def test_a_near_spelling_is_asked_about_not_answered(town: Town) -> None:
    chat = town.chat()
    out = await chat.say("ほんちょう")  # one kana from ほうちょう, and a district's name
    assert "もしかして、次のものですか" in texts(out) and "【" not in texts(out)
    assert quick_labels(out) == ["包丁", "どれでもない"]
    out = await chat.tap_quick_reply("どれでもない")
    assert "「ほんちょう」は、ごみの分別辞書に見つかりませんでした" in texts(out)
    out = await chat.say("ほうちょ")
    out = await chat.tap_quick_reply("包丁")
    assert "「包丁」は【燃やさないごみ】です" in texts(out)


async def test_twenty_districts_ten_at_a_time(midori_town: Town) -> None:
    chat = midori_town.chat()
    out = await chat.say("ペットボトル")
    first = quick_labels(out)
    assert first == ["本町", "寺町", "上町", "須川", "駅前", "中央", "旭", "若葉", "向丘", "桜台", "もっと見る", "あとで"]
    out = await chat.tap_quick_reply("もっと見る")
    assert quick_labels(out) == ["緑ヶ丘", "南台", "桜木", "三森", "木原", "本郷東", "北山", "川南", "深山", "北原", "あとで"]
    assert "お住まいの地区を" in texts(out)
    out = await chat.tap_quick_reply("北原")
    assert "地区を「北原」で登録しました" in texts(out)
    assert "北原の次の資源ごみ（缶・びん・ペットボトル）の収集日は 6月16日（月） です" in texts(out)


async def test_the_demo_towns_district_names_are_not_items(midori_town: Town) -> None:
    chat = midori_town.chat()
    out = await chat.say("本町")  # ほんちょう is one kana from 包丁's reading
    said = texts(out)
    assert "包丁" not in said and "本町の収集日です。" in said and "・燃やすごみ：" in said
    out = await chat.say("本町の燃やすごみの日")
    assert "包丁" not in texts(out) and "本町の燃やすごみの収集日は 毎週 月・木曜日 です" in texts(out)
    out = await chat.say("指定ごみ袋")
    assert "紙袋" not in texts(out) and "指定ごみ袋はどこで買えますか" in texts(out)


async def test_what_goes_out_tomorrow_or_today(town: Town) -> None:
    chat = town.chat()
    out = await chat.say("明日は何ごみ？")
    assert "収集日は地区ごとに決まっています" in texts(out)
    out = await chat.tap_quick_reply("駅前")
    assert "駅前の明日 6月10日（火）は、燃やすごみの収集日です。当日の朝8時30分までに出してください。" in texts(out)
    out = await chat.say("明日は燃やさないごみの日？")
    said = texts(out)
    assert "駅前の明日 6月10日（火）は、燃やさないごみの収集日ではありません。" in said
    assert "駅前の燃やさないごみの収集日は 第1・第3 水曜日 です。次は 6月18日（水） です。" in said
    out = await chat.say("本町は今日何のごみの日？")  # Monday 10:00: past the 8:30 deadline
    assert ("本町の今日 6月9日（月）は、燃やすごみの収集日です。（出すのは朝8時30分までです。"
            "過ぎてしまったときは次の収集日に出してください）") in texts(out)
