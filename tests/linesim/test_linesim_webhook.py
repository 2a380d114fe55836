"""Webhook events: LINE's JSON, signed so that line-bot-sdk's own parser accepts them."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from linebot.v3 import WebhookParser
from linebot.v3.exceptions import InvalidSignatureError
from linebot.v3.messaging import ReplyMessageRequest, TextMessage
from linebot.v3.webhooks import (
    FollowEvent,
    ImageMessageContent,
    LocationMessageContent,
    MessageEvent,
    PostbackEvent,
    StickerMessageContent,
    TextMessageContent,
    UnfollowEvent,
)
from linesim_support import ManualClock, Sdk

from linesim.testing import LineSim, WebhookDeliveryError

ULID = re.compile(r"^[0-9A-HJKMNP-TV-Z]{26}$")


class Receiver:
    """A tiny bot endpoint that accepts only correctly signed bodies, via the SDK's parser."""

    def __init__(self, secret: str) -> None:
        self.parser = WebhookParser(secret)
        self.raw: list[dict[str, Any]] = []
        self.events: list[Any] = []
        self.headers: list[dict[str, str]] = []

    async def callback(self, request: web.Request) -> web.Response:
        body = await request.text()
        try:
            payload = self.parser.parse(body, request.headers.get("X-Line-Signature", ""), as_payload=True)
        except InvalidSignatureError:
            return web.Response(status=400, text="bad signature")
        self.raw.extend((await request.json())["events"])
        self.events.extend(payload.events)
        self.headers.append(dict(request.headers))
        return web.Response(text="OK")


ReceiverFactory = Callable[[str], Awaitable[Receiver]]


@pytest.fixture
async def receiver_for(line_sim: LineSim, aiohttp_server: Any) -> ReceiverFactory:
    async def start(secret: str) -> Receiver:
        receiver = Receiver(secret)
        app = web.Application()
        app.router.add_post("/callback", receiver.callback)
        server: TestServer = await aiohttp_server(app)
        line_sim.set_webhook_url(str(server.make_url("/callback")))
        return receiver

    return start


async def test_events_are_signed_and_parse_with_the_sdk(line_sim: LineSim, receiver_for: ReceiverFactory) -> None:
    receiver = await receiver_for(line_sim.channel_secret)
    user = line_sim.create_user("市民")
    await line_sim.send_text(user, "ごみの日は？")
    await line_sim.send_image(user, b"\x89PNG fake", "image/png")
    await line_sim.send_location(user, 35.68, 139.76, "市役所", "丸の内1丁目")
    await line_sim.send_sticker(user, "446", "1988")

    kinds = [type(e.message) for e in receiver.events]
    assert kinds == [TextMessageContent, ImageMessageContent, LocationMessageContent, StickerMessageContent]
    assert all(isinstance(e, MessageEvent) for e in receiver.events)
    text = receiver.raw[0]
    assert text["message"]["text"] == "ごみの日は？" and text["message"]["quoteToken"]
    assert text["mode"] == "active" and text["source"] == {"type": "user", "userId": user}
    assert text["deliveryContext"] == {"isRedelivery": False}
    assert ULID.match(text["webhookEventId"])
    assert len({e["webhookEventId"] for e in receiver.raw}) == 4
    assert receiver.raw[2]["message"] | {"id": "x"} == {
        "id": "x", "type": "location", "title": "市役所", "address": "丸の内1丁目", "latitude": 35.68, "longitude": 139.76}
    assert receiver.headers[0]["Content-Type"].startswith("application/json")
    assert all(d.ok for d in line_sim.deliveries)


async def test_a_receiver_with_another_secret_refuses(line_sim: LineSim, receiver_for: ReceiverFactory) -> None:
    receiver = await receiver_for("some-other-secret")
    user = line_sim.create_user()
    with pytest.raises(WebhookDeliveryError):
        await line_sim.send_text(user, "届かない")
    assert receiver.events == []
    assert line_sim.deliveries[-1].status == 400


async def test_postback_follow_unfollow(line_sim: LineSim, receiver_for: ReceiverFactory) -> None:
    receiver = await receiver_for(line_sim.channel_secret)
    user = line_sim.create_user()
    await line_sim.send_postback(user, "action=book", {"datetime": "2025-04-01T10:00"}, display_text="予約する")
    await line_sim.unfollow(user)
    await line_sim.follow(user)

    postback, unfollow, follow = receiver.events
    assert isinstance(postback, PostbackEvent) and postback.postback.data == "action=book"
    assert receiver.raw[0]["postback"]["params"] == {"datetime": "2025-04-01T10:00"}
    assert line_sim.channel.timelines[user][-1].message == {"type": "text", "text": "予約する"}
    assert isinstance(unfollow, UnfollowEvent) and "replyToken" not in receiver.raw[1]
    assert isinstance(follow, FollowEvent) and follow.follow.is_unblocked is True
    assert receiver.raw[2]["replyToken"]


async def test_redelivery_keeps_the_event_id(line_sim: LineSim, receiver_for: ReceiverFactory) -> None:
    receiver = await receiver_for(line_sim.channel_secret)
    user = line_sim.create_user()
    event = await line_sim.send_text(user, "一度目")
    again = await line_sim.redeliver(event)

    first, second = receiver.raw
    assert first["webhookEventId"] == second["webhookEventId"] == again["webhookEventId"]
    assert (first["deliveryContext"], second["deliveryContext"]) == ({"isRedelivery": False}, {"isRedelivery": True})
    assert receiver.events[1].delivery_context.is_redelivery is True
    async with aiohttp.ClientSession() as http:  # the same over linesim's HTTP API
        async with http.post(f"{line_sim.url}/linesim/api/events/{event['webhookEventId']}/redeliver") as r:
            assert r.status == 200
            assert (await r.json())["delivery"]["status"] == 200
    assert len(receiver.raw) == 3 and receiver.raw[2]["deliveryContext"]["isRedelivery"] is True


async def test_minted_reply_tokens_work_once(line_sim: LineSim, sdk: Sdk) -> None:
    user = line_sim.create_user()
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{line_sim.url}/linesim/api/reply-tokens", json={"count": 3, "userId": user}) as r:
            tokens = (await r.json())["replyTokens"]
    assert len(set(tokens)) == 3
    for i, token in enumerate(tokens):
        await sdk.api.reply_message(ReplyMessageRequest(reply_token=token, messages=[TextMessage(text=str(i))]))
    assert [m["text"] for m in line_sim.messages(user)] == ["0", "1", "2"]


async def test_citizen_actions_over_http(line_sim: LineSim, receiver_for: ReceiverFactory) -> None:
    receiver = await receiver_for(line_sim.channel_secret)
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{line_sim.url}/linesim/api/users", json={"displayName": "新規", "follow": True}) as r:
            user = (await r.json())["userId"]
        async with http.post(f"{line_sim.url}/linesim/api/users/{user}/actions",
                             json={"type": "text", "text": "HTTPから"}) as r:
            assert (await r.json())["delivery"]["status"] == 200
        async with http.get(f"{line_sim.url}/linesim/api/users/{user}/timeline") as r:
            entries = (await r.json())["entries"]
    assert [type(e) for e in receiver.events] == [FollowEvent, MessageEvent]
    assert receiver.events[0].follow.is_unblocked is False
    assert [(e["sender"], e["message"]["text"]) for e in entries] == [("user", "HTTPから")]


async def _verify(sim: LineSim, **form: str) -> tuple[int, dict[str, Any]]:
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{sim.url}/oauth2/v2.1/verify", data=form) as r:
            return r.status, await r.json()


async def test_liff_id_token_verification(line_sim: LineSim, clock: ManualClock) -> None:
    user = line_sim.create_user("LIFF利用者")
    client_id = line_sim.channel.config.login_channel_id
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{line_sim.url}/linesim/api/id-tokens", json={"userId": user, "nonce": "n1"}) as r:
            token = (await r.json())["idToken"]

    status, claims = await _verify(line_sim, id_token=token, client_id=client_id, nonce="n1")
    assert status == 200
    assert (claims["iss"], claims["sub"], claims["aud"], claims["name"]) == (
        "https://access.line.me", user, client_id, "LIFF利用者")
    assert claims["exp"] > claims["iat"]

    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert await _verify(line_sim, id_token=tampered, client_id=client_id) == (
        400, {"error": "invalid_request", "error_description": "Invalid IdToken."})
    assert (await _verify(line_sim, id_token=token, client_id="999"))[0] == 400
    assert (await _verify(line_sim, id_token=token, client_id=client_id, nonce="other"))[1][
        "error_description"] == "Invalid IdToken Nonce."
    clock.advance(3601)
    assert (await _verify(line_sim, id_token=token, client_id=client_id))[1]["error_description"] == "IdToken expired."
