"""The conversation tests' town with the booking service and the 手続きナビ content wired in, as
``bot.service.build_service`` wires them (without the pages and the scheduler)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.appkeys import BOOKING
from bot.service import Core, create_app, dialogue_handler
from bot.settings import LineAccount
from civic.booking.services import BookingService
from civic.booking.types import Booker, BookingRequest, Reserved
from civic.procedures.loader import load_content
from linesim.testing import TEST_SECRET, TEST_TOKEN
from tests.bot.helpers import make_settings
from tests.dialogues.conftest import REPO, Chat, Town

PROCEDURES_DIR = REPO / "content" / "midori" / "procedures"


@dataclass
class CounterTown(Town):
    async def start(self) -> None:
        account = LineAccount("production", TEST_SECRET, TEST_TOKEN, self.sim.url, self.sim.url)
        settings = make_settings(self.database_url, line=account, public_base_url=self.public_base_url)
        core = Core(settings, clock=self.clock, booking=True, procedures=load_content(PROCEDURES_DIR))
        app = create_app(settings, core=core, handler_factory=dialogue_handler(self.knowledge, timeout=self.timeout))
        self.client = await self.aiohttp_client(app)
        self.sim.set_webhook_url(str(self.client.make_url("/callback")))

    @property
    def booking(self) -> BookingService:
        return self.app[BOOKING]

    async def unit_id(self, facility: str, unit: str) -> int:
        [found] = [u for u in await self.booking.find_units(facility) if u.unit_name == unit]
        return found.unit_id

    async def book(self, who: str, unit_id: int, day: date, frame: tuple[int, int], *,
                   purpose: str = "バレーボール", people: int = 10) -> Reserved:
        """Someone books outside the talk (the LIFF page): their own transaction, as the service does."""
        result = await self.booking.reserve(BookingRequest(unit_id, day, *frame, people=people, purpose=purpose,
                                                           terms_accepted=True), Booker(who))
        assert isinstance(result, Reserved), result
        return result


async def pick_date(chat: Chat, day: str) -> list[dict[str, Any]]:
    """Use the date picker of the last message, as the LINE app does (``params.date``)."""
    last = chat.town.sim.messages(chat.user)[-1]
    for item in last.get("quickReply", {}).get("items", []):
        action = item["action"]
        if action["type"] == "datetimepicker":
            assert action["mode"] == "date"
            assert action.get("min", day) <= day <= action.get("max", day), (action, day)
            await chat.town.sim.send_postback(chat.user, action["data"], {"date": day}, None)
            return await chat._after()
    raise AssertionError("no date picker in the last message")


def flex_actions(message: dict[str, Any]) -> list[dict[str, Any]]:
    """Every button action in a flex message (carousel bubbles' footers)."""
    found: list[dict[str, Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "button" and isinstance(node.get("action"), dict):
                found.append(node["action"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(message.get("contents"))
    return found
