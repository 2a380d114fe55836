"""A member of staff tries the published tabs on the test account in the chat simulator (headless Chromium)."""

from __future__ import annotations

import pytest
from playwright.async_api import Page, expect

from civic.database import Database
from richmenus.demo import install_menus
from tests.richmenus.conftest import Line

pytestmark = pytest.mark.browser
WAIT = 20_000  # ms; the machine is shared



@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_tabs_switch_in_the_simulator(db: Database, line: Line, page: Page) -> None:
    ids = await install_menus(db, line.clock)
    await line.publisher.publish("test", "editor")
    sim = line.view.sim.for_channel("test")
    tester = sim.create_user("総務課 テスト端末")
    await page.goto(f"{sim.url}/simulator?user={tester}")
    await expect(page.locator("body[data-ready=true]")).to_have_count(1, timeout=WAIT)
    await page.get_by_test_id("channel-select").select_option("test")
    menu = page.get_by_test_id("richmenu")
    main_id = line.view.aliases("test")[f"mdg-m{ids['main']}"]
    living_id = line.view.aliases("test")[f"mdg-m{ids['living']}"]
    await expect(menu).to_have_attribute("data-rich-menu-id", main_id, timeout=WAIT)
    await expect(menu).to_be_visible()
    for label in ("ごみ分別", "施設をさがす", "通報する", "よくある質問", "予約", "手続きナビ"):
        await expect(menu.get_by_role("button", name=label)).to_have_count(1)
    await menu.get_by_role("button", name="くらしの情報").click()  # the tab
    await expect(menu).to_have_attribute("data-rich-menu-id", living_id, timeout=WAIT)
    await expect(menu.get_by_role("button", name="町のホームページ")).to_have_count(1)
    assert sim.rich_menu_id_of(tester) == living_id
    await menu.get_by_role("button", name="メニュー", exact=True).click()  # and back
    await expect(menu).to_have_attribute("data-rich-menu-id", main_id, timeout=WAIT)
    assert line.view.default("production") is None  # trying menus never touches the public account
