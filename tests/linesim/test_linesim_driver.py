"""The pytest driver against a bot that answers: waiting for messages, rich-menu taps, strictness."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from aiohttp import web
from linebot.v3.messaging import PostbackAction, RichMenuArea, RichMenuBounds, RichMenuRequest, RichMenuSize
from linesim_echo_bot import create_echo_bot
from linesim_support import Sdk, make_image

from linesim.service import CitizenError
from linesim.testing import LineSim, WebhookDeliveryError


@pytest_asyncio.fixture
async def echo(line_sim: LineSim) -> AsyncIterator[None]:
    runner = web.AppRunner(create_echo_bot(line_sim.url, line_sim.access_token, line_sim.channel_secret))
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    line_sim.set_webhook_url(f"http://127.0.0.1:{runner.addresses[0][1]}/callback")
    yield
    await runner.cleanup()


async def test_wait_for_messages_walks_the_conversation(line_sim: LineSim, echo: None) -> None:
    user = line_sim.create_user()
    await line_sim.follow(user)
    await line_sim.send_text(user, "一")
    await line_sim.send_text(user, "二")

    assert [m["text"] for m in await line_sim.wait_for_messages(user, 2)] == [
        "友だち追加ありがとうございます", "エコー: 一"]
    assert [m["text"] for m in await line_sim.wait_for_messages(user)] == ["エコー: 二"]
    with pytest.raises(TimeoutError):
        await line_sim.wait_for_messages(user, 1, timeout=0.05)
    assert len(line_sim.messages(user)) == 3


async def test_tap_rich_menu_postback_area(line_sim: LineSim, sdk: Sdk, echo: None) -> None:
    user = line_sim.create_user()
    request = RichMenuRequest(size=RichMenuSize(width=2500, height=843), selected=False, name="m",
                              chat_bar_text="メニュー", areas=[RichMenuArea(
                                  bounds=RichMenuBounds(x=0, y=0, width=2500, height=843),
                                  action=PostbackAction(label="施設", data="menu=facility", display_text="施設を探す"))])
    menu_id = (await sdk.api.create_rich_menu(request)).rich_menu_id
    await sdk.blob.set_rich_menu_image(menu_id, make_image(2500, 843), _headers={"Content-Type": "image/png"})
    await sdk.api.link_rich_menu_id_to_user(user, menu_id)

    event = await line_sim.tap_rich_menu(user, 0)

    assert event["postback"] == {"data": "menu=facility"}
    assert await line_sim.wait_for_messages(user) == [{"type": "text", "text": "postback: menu=facility"}]
    assert [e.sender for e in line_sim.channel.timelines[user]] == ["user", "bot"]


async def test_strict_driver_raises_when_the_bot_is_unreachable(line_sim: LineSim) -> None:
    user = line_sim.create_user()
    await line_sim.send_text(user, "webhook なし")  # no URL configured: nothing to deliver, no error
    line_sim.set_webhook_url("http://127.0.0.1:9/callback")
    with pytest.raises(WebhookDeliveryError):
        await line_sim.send_text(user, "届かない")
    line_sim.strict = False
    await line_sim.send_text(user, "届かない")
    assert [d.status for d in line_sim.deliveries] == [None, None, None]
    await line_sim.unfollow(user)
    with pytest.raises(CitizenError):
        await line_sim.send_text(user, "ブロック中")
