"""Garbage sorting through LINE: category, notes, next collection day for the remembered area."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

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


class ServiceTown(Town):
    """The whole service (``build_service``: staff API, content reloader) talking to linesim."""

    async def start(self) -> None:
        from bot.service import build_service
        from bot.settings import LineAccount
        from tests.bot.helpers import make_settings
        from tests.dialogues.conftest import TEST_SECRET, TEST_TOKEN

        account = LineAccount("production", TEST_SECRET, TEST_TOKEN, self.sim.url, self.sim.url)
        app = build_service(make_settings(self.database_url, line=account), clock=self.clock, knowledge=self.knowledge,
                            install_content=False)
        self.client = await self.aiohttp_client(app)
        self.sim.set_webhook_url(str(self.client.make_url("/callback")))


async def test_a_collection_day_staff_change_in_the_console_is_what_the_bot_answers(
        line_sim: Any, knowledge: Any, sqlite_db: Any, aiohttp_client: Any, monkeypatch: Any) -> None:
    """Issue #16: staff change 本町's 燃やすごみ from 月・木 to 水・土 in the staff API (the console's form); the
    bot answers the new day within seconds, without a restart (the garbage content version, ``bot.content_reload``)."""
    import copy

    from argon2 import PasswordHasher

    from admin_api.app import PREFIX
    from civic.clock import FrozenClock
    from civic.staff import passwords
    from civic.staff.services import create_staff
    from tests.dialogues.conftest import START

    monkeypatch.setattr(passwords, "PasswordHasher", lambda: PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
    town = ServiceTown(line_sim, copy.copy(knowledge), sqlite_db.url, FrozenClock(START), aiohttp_client)
    await town.start()
    chat = town.chat()
    await chat.say("生ごみ")
    out = await chat.say("本町です")
    assert "本町の次の燃やすごみの収集日は 6月12日（木） です" in texts(out)  # 6月9日 10:00 (Mon) → Thursday
    await create_staff(town.db, town.clock, "kanri", "staff-pass-2026", "管理", "admin")
    r = await town.client.post(f"{PREFIX}/auth/login", json={"login": "kanri", "password": "staff-pass-2026"})
    auth = {"Authorization": f"Bearer {(await r.json())['token']}"}
    r = await town.client.patch(f"{PREFIX}/garbage/areas/本町", headers=auth, json={"days": {"燃やすごみ": "水 土"}})
    assert r.status == 200, await r.text()
    assert {"category": "燃やすごみ", "rules": "水 土", "meaning": "毎週 水・土曜日"} in (await r.json())["days"]
    text = ""
    for _ in range(100):  # the reloader was poked by the change: within seconds, not at a restart
        text = texts(await chat.say("生ごみの捨て方"))
        if "6月11日（水）" in text:
            break
        await asyncio.sleep(0.1)
    assert "本町の次の燃やすごみの収集日は 6月11日（水） です" in text
