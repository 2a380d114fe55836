"""The demo town's rich menus: the data file installs, renders and publishes to both accounts."""

from __future__ import annotations

from pathlib import Path

import pytest

from civic.database import Database
from richmenus import services
from richmenus.demo import DEMO_FILE, install_menus, load_menu_file, publish_demo_menus
from richmenus.errors import RichMenuError
from tests.richmenus.conftest import Line

ACTIONS = ["action=garbage", "action=facility", "action=report", "action=faq", "action=booking", "action=procedure"]


async def test_demo_menus_publish_to_test_then_production(db: Database, line: Line) -> None:
    releases = await publish_demo_menus(db, line.clock, line.publisher)
    assert [(r.account, r.status) for r in releases] == [("test", "applied"), ("production", "applied")]
    view = line.view
    for account in ("test", "production"):
        shown = view.menus(account)[view.default(account)]
        assert shown["chatBarText"] == "メニュー" and shown["size"] == {"width": 2500, "height": 1686}
        postbacks = [a["action"]["data"] for a in shown["areas"] if a["action"]["type"] == "postback"]
        assert postbacks == ACTIONS
        # the two tabs, and the 防災モード's menus (警戒, 災害) published beforehand, standing by (issue #22)
        assert len(view.menus(account)) == 4 and view.images(account) == set(view.menus(account))
        assert sorted(m["chatBarText"] for m in view.menus(account).values()) == [
            "くらしの情報", "メニュー", "災害時メニュー", "警戒時メニュー"]
    again = await publish_demo_menus(db, line.clock, line.publisher)  # idempotent: same menus, nothing new
    assert [r.number for r in again] == [1, 1]  # one version per draft, however often published (issue #19)
    assert len(view.menus("production")) == 4
    async with db.read() as s:
        assert len(await services.list_menus(s)) == 4
        assert sorted(t.mode for t in await services.mode_targets_of(s, "production")) == ["alert", "disaster"]


async def test_the_data_file_is_checked_with_a_clear_message(db: Database, tmp_path: Path) -> None:
    menus = load_menu_file(DEMO_FILE)
    assert [m.key for m in menus.menus] == ["main", "living", "disaster", "alert"]
    broken = tmp_path / "richmenus.yml"
    broken.write_text(DEMO_FILE.read_text(encoding="utf-8").replace("default: main", "default: mian", 1),
                      encoding="utf-8")
    with pytest.raises(RichMenuError) as exc:
        await install_menus(db, None, broken)  # type: ignore[arg-type]
    assert "「mian」は menus にありません" in exc.value.message
