from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from civic.clock import FrozenClock
from civic.database import Database
from richmenus import services
from richmenus.layout import Layout
from richmenus.line_api import AccountCredentials, SdkLineApis
from richmenus.publish import RichMenuPublisher
from richmenus.segments import StaticSegments
from tests.richmenus.fake_line import FakeLine

NOW = datetime(2026, 11, 21, 1, 0, tzinfo=UTC)
TILES = [{"label": label, "icon": icon, "action": {"type": "postback", "data": f"action={data}"}}
         for label, icon, data in [("ごみ分別", "garbage", "garbage"), ("施設をさがす", "pin", "facility"),
                                   ("通報する", "warning", "report"), ("よくある質問", "question", "faq"),
                                   ("予約", "calendar", "booking"), ("手続きナビ", "document", "procedure")]]
LINKS = [{"label": label, "icon": "globe", "action": {"type": "uri", "uri": f"https://example.jp/{path}"}}
         for label, path in [("町のホームページ", ""), ("子育て", "kosodate"), ("防災", "bousai")]]


@dataclass
class Line:
    fake: FakeLine
    url: str
    apis: SdkLineApis
    segments: StaticSegments
    publisher: RichMenuPublisher
    clock: FrozenClock


@pytest.fixture
async def line(db: Database, aiohttp_server) -> Line:
    fake = FakeLine()
    server = await aiohttp_server(fake.app())
    url = str(server.make_url("")).rstrip("/")
    apis = SdkLineApis({"production": AccountCredentials("prod-token", url, url),
                        "test": AccountCredentials("test-token", url, url)})
    segments = StaticSegments()
    clock = FrozenClock(NOW)
    return Line(fake, url, apis, segments, RichMenuPublisher(db, clock, apis, segments), clock)


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
