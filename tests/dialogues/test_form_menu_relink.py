"""A form answered in the chat relinks the citizen's per-segment rich menu, once the turn has
committed: through the webhook, the turn worker and linesim, wired as ``bot.service.build_service``
wires the publisher and the relinker (without the pages and the scheduler)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from bot.appkeys import PUBLISHER
from bot.menu_relink import MenuRelinker
from bot.service import Core, create_app, dialogue_handler
from bot.settings import LineAccount
from bot.turn import APOLOGY, Turn
from civic.attributes import services as attributes
from civic.attributes.catalogue import install_town
from civic.clock import FrozenClock
from civic.segments import services as segments
from dialogues.services import Knowledge
from linesim.testing import TEST_SECRET, TEST_TOKEN, LineSim
from richmenus import services as menus
from richmenus.layout import Layout
from tests.bot.helpers import make_settings
from tests.dialogues.conftest import REPO, START, Chat, Town, texts

TILES = [{"label": label, "icon": icon, "action": {"type": "postback", "data": f"action={data}"}}
         for label, icon, data in [("ごみ分別", "garbage", "garbage"), ("よくある質問", "question", "faq")]]


class FailingAfterTheDialogue:
    """The turn fails after the dialogue did its work (as a failing write later in the turn would):
    the whole transaction, the form's answers with it, is rolled back."""

    def __init__(self, inner: Any, town: MenuTown) -> None:
        self.inner, self.town = inner, town
        self.prepare = inner.prepare

    async def handle(self, turn: Turn) -> None:
        await self.inner.handle(turn)
        if self.town.failing:
            raise RuntimeError("the turn failed after the answers were saved")


@dataclass
class MenuTown(Town):
    failing: bool = False
    segment_menu: str = ""  # the LINE id of 上町's menu once published
    relinked: list[str] = field(default_factory=list)  # the citizens the relinker was asked for

    async def start(self) -> None:
        account = LineAccount("production", TEST_SECRET, TEST_TOKEN, self.sim.url, self.sim.url)
        settings = make_settings(self.database_url, line=account, public_base_url=self.public_base_url)
        core = Core(settings, clock=self.clock, menus=True)  # the publisher as build_service makes it
        publisher = core.publisher
        assert publisher is not None

        async def relink(user: str) -> None:
            self.relinked.append(user)
            await publisher.relink_citizen(user)

        core.menus = MenuRelinker(relink)
        dialogues = dialogue_handler(self.knowledge, timeout=self.timeout)
        app = create_app(settings, core=core,
                         handler_factory=lambda core: FailingAfterTheDialogue(dialogues(core), self))
        self.client = await self.aiohttp_client(app)
        self.sim.set_webhook_url(str(self.client.make_url("/callback")))

    async def publish_menus(self) -> None:
        """The town's attributes and forms; a main menu for everyone and one for the segment 上町."""
        async with self.db.write() as s:
            await install_town(s, START, REPO / "content" / "midori")
            kamimachi = await segments.create_segment(
                s, START, name="上町にお住まいの方",
                filter_data={"type": "choice", "attribute": "area", "values": ["kamimachi"]})
            main = await menus.create_menu(s, START, name="メインメニュー", chat_bar_text="メニュー",
                                           layout=Layout(columns=2, rows=1, tiles=TILES))
            local = await menus.create_menu(s, START, name="上町のメニュー", chat_bar_text="上町のおしらせ",
                                            layout=Layout(columns=2, rows=1, tiles=TILES))
            await menus.set_targets(s, "production", default_menu_id=main.id,
                                    segments=[(str(kamimachi.id), local.id)])  # type: ignore[list-item]
        await self.app[PUBLISHER].publish("production", "manager")
        self.segment_menu = next(rid for rid, m in self.sim.channel.rich_menus.items()
                                 if m.as_json()["chatBarText"] == "上町のおしらせ")

    def shown_to(self, user: str) -> str:
        menu = self.sim.channel.rich_menu_of(user)
        assert menu is not None
        return str(menu.as_json()["chatBarText"])

    def link_calls(self, user: str) -> list[tuple[str, str]]:
        """What LINE was asked to change about ``user``'s menu."""
        return [(c.method, c.path) for c in self.sim.calls()
                if c.method != "GET" and c.path.startswith(f"/v2/bot/user/{user}/richmenu")]


@pytest.fixture
async def menu_town(line_sim: LineSim, knowledge: Knowledge, database_url: str,
                    aiohttp_client: Any) -> AsyncIterator[MenuTown]:
    """On SQLite and on PostgreSQL: when a commit happens is what is tested."""
    t = MenuTown(line_sim, knowledge, database_url, FrozenClock(START), aiohttp_client)
    await t.start()
    await t.publish_menus()
    yield t


async def _up_to_the_last_question(town: MenuTown) -> Chat:
    """A new friend answers the first-use questionnaire in the chat: 30代, 上町, then skips up to
    the last question (5/5)."""
    chat = town.chat("上町の住民")
    await town.sim.follow(chat.user)
    await chat._after()
    await chat.tap_quick_reply("回答する")
    await chat.tap_quick_reply("30代")
    await chat.say("3")  # 3. 上町
    await chat.tap_quick_reply("スキップ")
    out = await chat.tap_quick_reply("スキップ")
    assert "(5/5)" in texts(out)
    return chat


async def _area(town: MenuTown, user: str) -> list[Any]:
    async with town.db.read() as s:
        citizen = await attributes.citizen_by_user(s, user)
        assert citizen is not None
        return (await attributes.citizen_values(s, citizen.id)).get("area", [])  # type: ignore[arg-type]


async def test_answers_in_the_chat_relink_the_citizens_menu(menu_town: MenuTown) -> None:
    town = menu_town
    chat = await _up_to_the_last_question(town)
    assert town.shown_to(chat.user) == "メニュー" and chat.user not in town.sim.channel.user_rich_menus
    assert town.link_calls(chat.user) == [] and town.relinked == []  # nothing while the form is in progress

    out = await chat.tap_quick_reply("スキップ")
    assert "のご回答を保存しました" in texts(out) and "・居住地区：上町" in texts(out)
    assert await _area(town, chat.user) == ["kamimachi"]
    assert town.sim.channel.user_rich_menus[chat.user] == town.segment_menu
    assert town.shown_to(chat.user) == "上町のおしらせ"
    assert town.link_calls(chat.user) == [("POST", f"/v2/bot/user/{chat.user}/richmenu/{town.segment_menu}")]
    assert town.relinked == [chat.user]

    # moving away from 上町 in the chat (「受け取る情報を変えたい」: the settings form) unlinks it again
    out = await chat.say("受け取る情報を変えたい")
    assert "(1/" in texts(out)
    await _answer_settings_form_with_area(chat, "本町")
    assert await _area(town, chat.user) == ["honmachi"]
    assert chat.user not in town.sim.channel.user_rich_menus and town.shown_to(chat.user) == "メニュー"


async def _answer_settings_form_with_area(chat: Chat, area: str) -> None:
    """Whatever the form asks: keep what is registered (or skip), except the area."""
    for _ in range(10):
        last = chat.town.sim.messages(chat.user)[-1]
        if "地区" in last.get("text", ""):
            out = await chat.say(area)
        else:
            labels = [i["action"]["label"] for i in last.get("quickReply", {}).get("items", [])]
            out = await chat.tap_quick_reply("今のまま" if "今のまま" in labels else "スキップ")
        if "のご回答を保存しました" in texts(out):
            return
    raise AssertionError("the settings form did not finish")


async def test_a_turn_rolled_back_relinks_nothing(menu_town: MenuTown) -> None:
    town = menu_town
    chat = await _up_to_the_last_question(town)
    question = town.sim.messages(chat.user)[-1]
    town.failing = True
    out = await chat.tap_quick_reply("スキップ")  # the last answer; the turn then fails
    assert texts(out) == APOLOGY["text"]
    assert await _area(town, chat.user) == []  # the answers were rolled back with the turn
    assert town.relinked == [] and town.link_calls(chat.user) == []  # the relink was never even tried
    assert chat.user not in town.sim.channel.user_rich_menus and town.shown_to(chat.user) == "メニュー"

    town.failing = False  # the citizen sends the last answer again (the question is still open)
    [skip] = [i["action"] for i in question["quickReply"]["items"] if i["action"]["label"] == "スキップ"]
    out = await chat.tap(skip["data"], skip["displayText"])
    assert "のご回答を保存しました" in texts(out)
    assert town.shown_to(chat.user) == "上町のおしらせ"
    assert town.relinked == [chat.user] and len(town.link_calls(chat.user)) == 1


async def test_line_down_does_not_fail_the_turn_and_the_next_relink_fixes_it(
        menu_town: MenuTown, caplog: pytest.LogCaptureFixture) -> None:
    town = menu_town
    chat = await _up_to_the_last_question(town)
    town.sim.fail_next("/v2/bot/user/*", 500, times=1, method="POST")
    with caplog.at_level(logging.WARNING, logger="bot.menu_relink"):
        out = await chat.tap_quick_reply("スキップ")
    assert "のご回答を保存しました" in texts(out)  # answered and saved all the same
    assert await _area(town, chat.user) == ["kamimachi"]
    assert chat.user not in town.sim.channel.user_rich_menus
    assert "not relinked" in caplog.text

    await town.app[PUBLISHER].relink_citizen(chat.user)  # the next relink (or publish)
    assert town.shown_to(chat.user) == "上町のおしらせ"
