"""防災モード (issue #22) through the webhook and linesim: the switch relinks every citizen's menu
(default and per-segment) and changes the greeting and the fallback answer; 「近くの避難所」 answers
open shelters nearest first, full and closed ones last; switching back restores every menu."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlmodel import select

from bot.appkeys import PUBLISHER
from civic.clock import FrozenClock
from civic.disaster import services as disaster
from civic.disaster.content import read_shelters_file, seed_shelters
from civic.disaster.models import CLOSED, FULL, NOT_OPEN, OPEN, DisasterModeChange
from civic.facilities.models import Facility
from dialogues.services import Knowledge
from linesim.testing import LineSim
from richmenus import services as menus
from richmenus.layout import Layout
from richmenus.modes import DisasterSwitch, ModeMenus
from tests.dialogues.conftest import INSIDE, REPO, START, texts
from tests.dialogues.test_form_menu_relink import MenuTown, _up_to_the_last_question

SHELTER_TILES = [{"label": "近くの避難所", "icon": "pin", "action": {"type": "message", "text": "近くの避難所"}},
                 {"label": "よくある質問", "icon": "question", "action": {"type": "postback", "data": "action=faq"}}]


class DisasterTown(MenuTown):
    async def publish_menus(self) -> None:
        async with self.db.write() as s:
            menu = await menus.create_menu(s, START, name="災害時メニュー", chat_bar_text="災害時メニュー",
                                           layout=Layout(columns=2, rows=1, tiles=SHELTER_TILES))
            await menus.set_mode_targets(s, "disaster", "production", default_menu_id=menu.id, segments=[])
            await seed_shelters(s, read_shelters_file(REPO / "content" / "midori" / "shelters.yml"), START)
        await super().publish_menus()  # the main menu, 上町's menu, and (standing by) the disaster menu

    def switch(self) -> DisasterSwitch:
        return DisasterSwitch(self.db, self.clock, ModeMenus(self.app[PUBLISHER]))


@pytest.fixture
async def disaster_town(line_sim: LineSim, knowledge: Knowledge, database_url: str,
                        aiohttp_client: Any) -> AsyncIterator[DisasterTown]:
    t = DisasterTown(line_sim, knowledge, database_url, FrozenClock(START), aiohttp_client)
    await t.start()
    await t.publish_menus()
    yield t


async def _set_shelter(town: DisasterTown, code: str, state: str, occupancy: int = 0) -> None:
    async with town.db.write() as s:
        f = (await s.exec(select(Facility).where(Facility.code == code))).one()
        await disaster.update_shelter(s, town.clock.now(), f.id, by="shelter-staff",  # type: ignore[arg-type]
                                      state=state, occupancy=occupancy)


def _writes(town: DisasterTown, since: int) -> list[tuple[str, str]]:
    return [(c.method, c.path) for c in town.sim.calls()[since:] if c.method != "GET"]


async def test_switching_to_disaster_and_back(disaster_town: DisasterTown) -> None:
    town = disaster_town
    channel = town.sim.channel
    on_line = set(channel.rich_menus)
    assert any(m.as_json()["chatBarText"] == "災害時メニュー" for m in channel.rich_menus.values())  # published beforehand
    kamimachi = await _up_to_the_last_question(town)
    await kamimachi.tap_quick_reply("スキップ")
    plain = town.chat("本町の住民")
    await plain.say("こんにちは")
    assert town.shown_to(kamimachi.user) == "上町のおしらせ" and town.shown_to(plain.user) == "メニュー"

    # nearest shelters: 中央公民館 (closest to INSIDE) closed, 中央小学校 open, ひだまり館 full, arena open
    await _set_shelter(town, "shelter-community", CLOSED)
    await _set_shelter(town, "shelter-fukushi", FULL, 60)
    await _set_shelter(town, "shelter-chuo-es", OPEN, 40)
    await _set_shelter(town, "shelter-arena", OPEN, 100)

    calls = len(town.sim.calls())
    change = await town.switch().switch("disaster", by="bousai-kakari", reason="避難指示の発令")
    assert change is not None and change.menus == "applied" and change.previous == "normal"
    assert town.shown_to(kamimachi.user) == "災害時メニュー" and town.shown_to(plain.user) == "災害時メニュー"
    assert set(channel.rich_menus) == on_line  # only relinked: nothing created, nothing deleted
    assert not any(p == "/v2/bot/richmenu" for _, p in _writes(town, calls))

    newcomer = town.chat("新しい友だち")
    await town.sim.follow(newcomer.user)
    greeting = texts(await newcomer._after())
    assert "【災害モード】" in greeting and "近くの避難所" in greeting

    out = texts(await plain.say("大雨で避難したいです"))  # wanting to go is asking where to go
    assert "近くの避難所をお調べします" in out and "位置情報" in out
    out = texts(await plain.say("近くの避難所"))
    assert "位置情報" in out
    out = texts(await plain.send_location(*INSIDE))
    lines = [line for line in out.splitlines() if line[:2] in {f"{i}." for i in range(1, 6)}]
    assert lines[0].startswith("1. みどり町立中央小学校 体育館【開設】") and "40/320人" in lines[0]
    assert "アリーナみどり" in lines[1] and "【開設】" in lines[1]
    assert "ひだまり館" not in out.split("アリーナみどり")[0]  # full: never before an open one
    # the nearer full and closed ones are listed after, as such
    assert out.index("中央公民館【閉鎖（受け入れできません）】") > out.index("アリーナみどり")
    assert out.index("ひだまり館）【満員（受け入れできません）】") > out.index("アリーナみどり")
    assert "https://maps.gsi.go.jp/#17/34.999100/134.998200/" in out
    # in disaster mode a location sent without asking also answers shelters
    out = texts(await kamimachi.send_location(*INSIDE))
    assert out.startswith("お近くの避難所です")

    out = texts(await plain.say("宇宙船の操縦免許はどこで取れますか"))
    assert "【災害モード】" in out and "近くの避難所" in out

    calls = len(town.sim.calls())
    back = await town.switch().switch("normal", by="bousai-kakari", reason="避難指示の解除")
    assert back is not None and back.menus == "applied"
    assert town.shown_to(kamimachi.user) == "上町のおしらせ" and town.shown_to(plain.user) == "メニュー"
    assert set(channel.rich_menus) == on_line
    assert not any(p == "/v2/bot/richmenu" for _, p in _writes(town, calls))
    another = town.chat("平常時の友だち")
    await town.sim.follow(another.user)
    assert "【災害モード】" not in texts(await another._after())

    async with town.db.read() as s:
        history = await disaster.history(s)
    assert [(h.mode, h.previous, h.changed_by, h.reason) for h in history] == [
        ("normal", "disaster", "bousai-kakari", "避難指示の解除"),
        ("disaster", "normal", "bousai-kakari", "避難指示の発令")]
    assert await town.switch().switch("normal", by="x", reason="again") is None  # already normal: nothing
    assert isinstance(history[0], DisasterModeChange)


async def test_shelters_are_asked_for_in_normal_mode_too(disaster_town: DisasterTown) -> None:
    town = disaster_town
    chat = town.chat()
    await _set_shelter(town, "shelter-midori-jhs", OPEN)
    assert "位置情報" in texts(await chat.say("避難所はどこですか"))
    out = texts(await chat.send_location(*INSIDE))
    assert out.startswith("お近くの避難所です") and out.splitlines()[1].startswith("1. みどり町立みどり中学校")
    assert "【未開設】" in out and "【開設】の避難所に避難できます" in out.splitlines()[0]
    # none open (normal times): the heading says so before the list, which must not read as open shelters
    await _set_shelter(town, "shelter-midori-jhs", NOT_OPEN)
    assert "位置情報" in texts(await chat.say("近くの避難所"))
    out = texts(await chat.send_location(*INSIDE))
    assert "現在、開設している避難所はありません" in out.splitlines()[0] and "【未開設】" in out.splitlines()[1]
    # without asking, in normal mode, a location still finds facilities (the facility search)
    out = texts(await chat.send_location(*INSIDE))
    assert "お近くの避難所です" not in out
