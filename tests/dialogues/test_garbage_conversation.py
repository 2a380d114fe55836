"""Garbage sorting through LINE: category, notes, next collection day for the remembered area."""

from __future__ import annotations

from datetime import datetime

from civic.clock import TOKYO
from tests.dialogues.conftest import Town, quick_labels, texts


async def test_item_then_area_asked_once_and_remembered(town: Town) -> None:
    chat = town.chat()
    out = await chat.say("使い終わったスプレー缶ってどう捨てる？")
    text = texts(out)
    assert "「スプレー缶」は【有害ごみ】です" in text and "穴はあけないでください" in text
    assert "お住まいの地区を教えて" in text and quick_labels(out) == ["本町", "駅前", "南台", "あとで"]
    out = await chat.say("本町です")
    text = texts(out)
    assert "地区を「本町」で登録しました" in text
    assert "本町の次の有害ごみの収集日は 6月3日" not in text  # already past
    assert "本町の次の有害ごみの収集日は 7月1日（火） です" in text
    # next time: straight to the answer with the day; the area is not asked again
    out = await chat.say("ペットボトル")
    text = texts(out)
    assert "「ペットボトル」は【資源ごみ】です" in text
    assert "本町の次の資源ごみの収集日は 6月13日（金） です" in text and "8時30分までに" in text
    assert quick_labels(out) == ["ほかの品目を調べる", "地区を変更"]


async def test_today_before_the_deadline_and_after_it(town: Town) -> None:
    chat = town.chat()
    await chat.tap("action=garbage")
    await chat.say("生ごみ")
    await chat.tap_quick_reply("本町")
    town.clock.set(datetime(2025, 6, 12, 7, 45, tzinfo=TOKYO))  # Thursday, before 8:30
    out = await chat.say("生ごみの捨て方")
    assert "本町の次の燃やすごみの収集日は 今日 6月12日（木） です" in texts(out)
    town.clock.set(datetime(2025, 6, 12, 9, 0, tzinfo=TOKYO))
    out = await chat.say("生ごみの捨て方")
    assert "6月16日（月）" in texts(out)
    town.clock.set(datetime(2025, 12, 26, 9, 0, tzinfo=TOKYO))  # the year-end break
    out = await chat.say("生ごみの捨て方")
    assert "1月5日（月）" in texts(out)


async def test_rich_menu_asks_for_the_item_and_candidates_for_ambiguous_items(town: Town) -> None:
    chat = town.chat()
    out = await chat.tap("action=garbage", "ごみの出し方")
    assert "調べたいごみの名前を送ってください" in texts(out)
    out = await chat.say("バケツ")
    assert "いくつか候補があります" in texts(out)
    assert sorted(quick_labels(out)) == ["バケツ（プラスチック製）", "バケツ（金属製）"]
    out = await chat.tap_quick_reply("バケツ（金属製）")
    assert "「バケツ（金属製）」は【燃やさないごみ】です" in texts(out)
    assert quick_labels(out) == ["本町", "駅前", "南台", "あとで"]
    out = await chat.tap_quick_reply("あとで")
    assert "「地区を変更」から登録できます" in texts(out)


async def test_unknown_item_says_so_and_gives_the_contact(town: Town) -> None:
    chat = town.chat()
    await chat.tap("action=garbage")
    out = await chat.say("ドラゴンのうろこ")
    text = texts(out)
    assert "「ドラゴンのうろこ」は、ごみの分別辞書に見つかりませんでした" in text
    assert "環境課 0000-00-1171" in text
    assert quick_labels(out) == ["ほかの品目を調べる"]


async def test_items_without_collection_days(town: Town) -> None:
    chat = town.chat()
    out = await chat.say("ソファーを捨てたい")
    text = texts(out)
    assert "「ソファー」は【粗大ごみ】です" in text and "事前に申し込みが必要" in text
    assert "定期の収集はありません" in text  # no area asked for an item no area collects


async def test_change_the_area(town: Town) -> None:
    chat = town.chat()
    await chat.say("ペットボトル")
    await chat.tap_quick_reply("本町")
    out = await chat.say("地区を変更したい")
    assert quick_labels(out) == ["本町", "駅前", "南台", "あとで"]
    out = await chat.say("駅前")
    assert "地区を「駅前」で登録しました" in texts(out)
    out = await chat.say("ペットボトル")
    assert "駅前の次の資源ごみの収集日は 6月16日（月） です" in texts(out)
    out = await chat.tap_quick_reply("地区を変更")
    out = await chat.say("月の裏側")
    assert "地区名が見つかりませんでした" in texts(out)


async def test_the_collection_calendar_is_not_the_item_calendar(town: Town) -> None:
    chat = town.chat()
    out = await chat.say("ゴミ出しカレンダーみたい")
    assert "【資源ごみ】" not in texts(out)  # not how to throw away a カレンダー
    assert "地区" in texts(out) and "本町" in quick_labels(out)
    out = await chat.tap_quick_reply("本町")
    assert "燃やすごみ" in texts(out) and "本町" in texts(out)
    out = await chat.say("古いカレンダーの捨て方")
    assert "「カレンダー」は【資源ごみ】です" in texts(out)
