from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from civic.clock import FrozenClock
from civic.database import Database
from linesim.driver import run_linesim
from richmenus import services
from richmenus.layout import Layout
from richmenus.publish import RichMenuPublisher
from richmenus.segments import StaticSegments
from tests.richmenus.line_view import LineView, line_apis, sim_config

NOW = datetime(2026, 11, 21, 1, 0, tzinfo=UTC)
TILES = [{"label": label, "icon": icon, "action": {"type": "postback", "data": f"action={data}"}}
         for label, icon, data in [("ごみ分別", "garbage", "garbage"), ("施設をさがす", "pin", "facility"),
                                   ("通報する", "warning", "report"), ("よくある質問", "question", "faq"),
                                   ("予約", "calendar", "booking"), ("手続きナビ", "document", "procedure")]]
LINKS = [{"label": label, "icon": "globe", "action": {"type": "uri", "uri": f"https://example.jp/{path}"}}
         for label, path in [("町のホームページ", ""), ("子育て", "kosodate"), ("防災", "bousai")]]


@dataclass
class Line:
    view: LineView
    segments: StaticSegments
    publisher: RichMenuPublisher
    clock: FrozenClock


@pytest.fixture
async def line(db: Database) -> AsyncIterator[Line]:
    """linesim with a production and a test account; the publisher reaches it through line-bot-sdk."""
    async with run_linesim(sim_config()) as sim:
        segments = StaticSegments()
        clock = FrozenClock(NOW)
        yield Line(LineView(sim), segments, RichMenuPublisher(db, clock, line_apis(sim), segments), clock)


async def make_tabs(db: Database) -> tuple[int, int]:
    """Two rendered menus as tabs of one group: (main, living)."""
    async with db.write() as s:
        group = services.RichMenuGroup(name="町のメニュー", created_at=NOW, updated_at=NOW)
        s.add(group)
        await s.flush()
        main = await services.create_menu(s, NOW, name="メインメニュー", chat_bar_text="メニュー",
                                          layout=Layout(tiles=TILES), group_id=group.id, tab_label="メニュー")
        living = await services.create_menu(s, NOW, name="くらしの情報", chat_bar_text="くらしの情報",
                                            layout=Layout(columns=3, rows=1, tiles=LINKS), group_id=group.id,
                                            tab_label="くらしの情報")
        return main.id, living.id  # type: ignore[return-value]
