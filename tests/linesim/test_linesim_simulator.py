"""The browser chat simulator in headless Chromium, against a tiny echo bot that replies via linesim."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from aiohttp import web
from linebot.v3.messaging import (
    CreateRichMenuAliasRequest,
    MessageAction,
    PostbackAction,
    RichMenuArea,
    RichMenuBounds,
    RichMenuRequest,
    RichMenuSize,
    RichMenuSwitchAction,
)
from linesim_echo_bot import create_echo_bot
from linesim_support import Sdk, make_image
from playwright.async_api import Page, expect

from linesim.testing import LineSim

pytestmark = pytest.mark.browser
WAIT = 15_000  # ms; generous, the machine is shared
PNG_1PX = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")


@pytest_asyncio.fixture
async def echo_bot(line_sim: LineSim) -> AsyncIterator[str]:
    runner = web.AppRunner(create_echo_bot(line_sim.url, line_sim.access_token, line_sim.channel_secret))
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}/callback"
    line_sim.set_webhook_url(url)
    yield url
    await runner.cleanup()



async def open_chat(page: Page, sim: LineSim, user_id: str) -> None:
    await page.goto(f"{sim.url}/simulator?user={user_id}")
    await expect(page.locator("body[data-ready=true]")).to_have_count(1, timeout=WAIT)


def bot_says(page: Page, text: str) -> Any:
    return page.get_by_test_id("bot-message").filter(has_text=text)


async def send(page: Page, text: str) -> None:
    await page.get_by_test_id("message-input").fill(text)
    await page.get_by_test_id("send-button").click()


async def tab_menus(sdk: Sdk) -> tuple[str, str]:
    """Two tabs, switched by alias: A (default) and B."""
    def menu(name: str, left: Any, right: Any) -> RichMenuRequest:
        return RichMenuRequest(
            size=RichMenuSize(width=2500, height=843), selected=True, name=name, chat_bar_text="メニュー",
            areas=[RichMenuArea(bounds=RichMenuBounds(x=0, y=0, width=1250, height=843), action=left),
                   RichMenuArea(bounds=RichMenuBounds(x=1250, y=0, width=1250, height=843), action=right)])

    ids = []
    for request in (
        menu("A", PostbackAction(label="ごみ分別", data="menu=garbage"),
             RichMenuSwitchAction(label="次のタブ", rich_menu_alias_id="tab-b", data="tab=b")),
        menu("B", MessageAction(label="予約", text="予約"),
             RichMenuSwitchAction(label="前のタブ", rich_menu_alias_id="tab-a", data="tab=a")),
    ):
        menu_id = (await sdk.api.create_rich_menu(request)).rich_menu_id
        await sdk.blob.set_rich_menu_image(menu_id, make_image(2500, 843), _headers={"Content-Type": "image/png"})
        ids.append(menu_id)
    for alias, menu_id in zip(("tab-a", "tab-b"), ids, strict=True):
        await sdk.api.create_rich_menu_alias(CreateRichMenuAliasRequest(rich_menu_alias_id=alias, rich_menu_id=menu_id))
    await sdk.api.set_default_rich_menu(ids[0])
    return ids[0], ids[1]


async def test_chat_quick_replies_and_rich_menu_tabs(line_sim: LineSim, sdk: Sdk, echo_bot: str,
                                                    page: Page) -> None:
    page = page
    menu_a, menu_b = await tab_menus(sdk)
    user = line_sim.create_user("山田花子")
    await open_chat(page, line_sim, user)

    await send(page, "こんにちは")
    await expect(bot_says(page, "エコー: こんにちは")).to_have_count(1, timeout=WAIT)
    await expect(page.get_by_test_id("user-message").filter(has_text="こんにちは")).to_have_count(1)

    # quick replies: a message action, then a postback with displayText
    await page.get_by_test_id("quick-reply").filter(has_text="はい").click()
    await expect(bot_says(page, "エコー: はい")).to_have_count(1, timeout=WAIT)
    await page.get_by_test_id("quick-reply").filter(has_text="いいえ").click()
    await expect(bot_says(page, "postback: answer=no")).to_have_count(1, timeout=WAIT)
    await expect(page.get_by_test_id("user-message").filter(has_text="いいえ")).to_have_count(1)

    # the rich menu, drawn from its image, open because it is `selected`
    rich_menu = page.get_by_test_id("richmenu")
    await expect(rich_menu).to_have_attribute("data-rich-menu-id", menu_a, timeout=WAIT)
    await expect(rich_menu).to_be_visible()
    await page.get_by_role("button", name="ごみ分別").click()
    await expect(bot_says(page, "postback: menu=garbage")).to_have_count(1, timeout=WAIT)

    # tab switch by alias: the menu changes and the bot gets the postback with LINE's params
    await page.get_by_role("button", name="次のタブ").click()
    await expect(bot_says(page, "newRichMenuAliasId=tab-b,status=SUCCESS")).to_have_count(1, timeout=WAIT)
    await expect(rich_menu).to_have_attribute("data-rich-menu-id", menu_b, timeout=WAIT)
    assert line_sim.rich_menu_id_of(user) == menu_b
    await page.get_by_role("button", name="予約").click()
    await expect(bot_says(page, "エコー: 予約")).to_have_count(1, timeout=WAIT)

    # the chat bar closes and opens the menu
    toggle = page.get_by_test_id("richmenu-toggle")
    await toggle.click()
    await expect(rich_menu).to_be_hidden()
    await expect(toggle).to_have_attribute("aria-expanded", "false")
    await toggle.click()
    await expect(rich_menu).to_be_visible()

    assert all(d.status == 200 for d in line_sim.deliveries)
    assert len(line_sim.calls("/v2/bot/message/reply")) == 6


async def test_new_citizen_location_sticker_image_flex_and_datetime(line_sim: LineSim, echo_bot: str,
                                                                   page: Page) -> None:
    page = page
    await page.goto(f"{line_sim.url}/simulator")
    await expect(page.get_by_test_id("new-user-name")).to_be_visible(timeout=WAIT)
    await page.get_by_test_id("new-user-name").fill("佐藤次郎")
    await page.get_by_test_id("create-user").click()
    await expect(bot_says(page, "友だち追加ありがとうございます")).to_have_count(1, timeout=WAIT)
    (user,) = line_sim.channel.users

    await page.get_by_test_id("location-button").click()
    await page.get_by_test_id("place-option").filter(has_text="中央図書館").click()
    await expect(bot_says(page, "受け取りました: location")).to_have_count(1, timeout=WAIT)
    location = list(line_sim.channel.events.values())[-1]["message"]
    assert (location["title"], location["latitude"]) == ("中央図書館", 35.689634)

    await page.get_by_test_id("sticker-button").click()
    await page.get_by_test_id("sticker-option").first.click()
    await expect(bot_says(page, "受け取りました: sticker")).to_have_count(1, timeout=WAIT)

    await page.get_by_test_id("image-input").set_input_files(
        files=[{"name": "pothole.png", "mimeType": "image/png", "buffer": PNG_1PX}])
    await expect(bot_says(page, "受け取りました: image")).to_have_count(1, timeout=WAIT)
    image_id = list(line_sim.channel.events.values())[-1]["message"]["id"]
    assert line_sim.channel.contents[image_id].data == PNG_1PX

    await send(page, "フレックス")
    await expect(page.get_by_test_id("flex-bubble").filter(has_text="施設のご案内")).to_have_count(1, timeout=WAIT)
    await page.get_by_test_id("flex-button").filter(has_text="予約する").click()
    await expect(bot_says(page, "postback: flex=book")).to_have_count(1, timeout=WAIT)

    await send(page, "日時")
    await page.get_by_test_id("template-action").filter(has_text="日付を選ぶ").click()
    await expect(page.get_by_test_id("datetime-input")).to_have_attribute("type", "date", timeout=WAIT)
    await page.get_by_test_id("datetime-input").fill("2025-04-01")
    await page.get_by_test_id("datetime-submit").click()
    await expect(bot_says(page, "postback: pick=date date=2025-04-01")).to_have_count(1, timeout=WAIT)
    assert [m["type"] for m in line_sim.messages(user)].count("flex") == 1


async def test_line_emoji_are_drawn_where_the_text_has_them(line_sim: LineSim, sdk: Sdk, page: Page) -> None:
    """The renderer shared with the staff console's preview: each emoji on the ``$`` its index names,
    a ``$`` without one left as it is."""
    from linebot.v3.messaging import Emoji, PushMessageRequest, TextMessage

    user = line_sim.create_user("山田花子")
    await open_chat(page, line_sim, user)
    emojis = [Emoji(index=0, product_id="5ac1bfd5040ab15980c9b435", emoji_id="003"),
              Emoji(index=11, product_id="5ac1bfd5040ab15980c9b435", emoji_id="009")]
    await sdk.api.push_message(PushMessageRequest(to=user, messages=[TextMessage(text="$ 秋祭り 100$ $", emojis=emojis)]))
    bubble = bot_says(page, "秋祭り")
    await expect(bubble).to_have_count(1, timeout=WAIT)
    await expect(bubble.get_by_role("img", name="星")).to_have_text("★")
    await expect(bubble.get_by_role("img", name="注意")).to_have_text("⚠")
    assert (await bubble.locator(".bubble").inner_text()).strip() == "★ 秋祭り 100$ ⚠"
