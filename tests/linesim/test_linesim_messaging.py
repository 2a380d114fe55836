"""Sending messages through linesim with the real line-bot-sdk async client."""

from __future__ import annotations

import json
import uuid

import aiohttp
import pytest
from linebot.v3.messaging import (
    ApiException,
    MessageAction,
    MulticastRequest,
    PushMessageRequest,
    QuickReply,
    QuickReplyItem,
    ReplyMessageRequest,
    TextMessage,
)
from linesim_support import SECOND_TOKEN, ManualClock, Sdk, open_sdk

from linesim.testing import LineSim


def body_of(exc: ApiException) -> dict:
    return json.loads(exc.body)


async def test_reply_delivers_to_the_citizen_who_sent_the_event(line_sim: LineSim, sdk: Sdk) -> None:
    user = line_sim.create_user("山田花子")
    event = await line_sim.send_text(user, "こんにちは")

    response = await sdk.api.reply_message(ReplyMessageRequest(
        reply_token=event["replyToken"], messages=[TextMessage(text="ようこそ"), TextMessage(text="二通目")]))

    assert len(response.sent_messages) == 2
    assert response.sent_messages[0].quote_token
    assert await line_sim.wait_for_messages(user, 2) == [
        {"type": "text", "text": "ようこそ"}, {"type": "text", "text": "二通目"}]
    call = line_sim.calls("/v2/bot/message/reply")[0]
    assert call.body["replyToken"] == event["replyToken"]
    assert call.headers["authorization"] == f"Bearer {line_sim.access_token}"
    assert call.status == 200


async def test_reply_token_is_single_use(line_sim: LineSim, sdk: Sdk) -> None:
    user = line_sim.create_user()
    token = (await line_sim.send_text(user, "はい"))["replyToken"]
    request = ReplyMessageRequest(reply_token=token, messages=[TextMessage(text="一回目")])
    await sdk.api.reply_message(request)

    with pytest.raises(ApiException) as caught:
        await sdk.api.reply_message(request)

    assert caught.value.status == 400
    assert body_of(caught.value)["message"] == "Invalid reply token"
    assert line_sim.messages(user) == [{"type": "text", "text": "一回目"}]


async def test_reply_token_expires_after_the_ttl(line_sim: LineSim, sdk: Sdk, clock: ManualClock) -> None:
    user = line_sim.create_user()
    token = (await line_sim.send_text(user, "はい"))["replyToken"]
    clock.advance(60.5)

    with pytest.raises(ApiException) as caught:
        await sdk.api.reply_message(ReplyMessageRequest(reply_token=token, messages=[TextMessage(text="遅い")]))

    assert caught.value.status == 400
    assert body_of(caught.value)["message"] == "Invalid reply token"
    assert line_sim.messages(user) == []


async def test_push_and_unknown_recipient(line_sim: LineSim, sdk: Sdk) -> None:
    user = line_sim.create_user()
    response = await sdk.api.push_message(PushMessageRequest(to=user, messages=[TextMessage(text="お知らせ")]))
    assert response.sent_messages[0].id.isdigit()
    assert await line_sim.wait_for_messages(user) == [{"type": "text", "text": "お知らせ"}]

    with pytest.raises(ApiException) as caught:
        await sdk.api.push_message(PushMessageRequest(to="U" + "0" * 32, messages=[TextMessage(text="x")]))
    assert caught.value.status == 400
    assert "'to'" in body_of(caught.value)["message"]


async def test_multicast_of_more_than_500_is_refused(line_sim: LineSim, sdk: Sdk) -> None:
    users = [line_sim.create_user(f"市民{i}") for i in range(3)]
    await sdk.api.multicast(MulticastRequest(to=users, messages=[TextMessage(text="全員へ")]))
    for user in users:
        assert line_sim.messages(user) == [{"type": "text", "text": "全員へ"}]

    # The SDK refuses 501 recipients itself; construct() skips its check so linesim's can be seen.
    too_many = MulticastRequest.construct(to=[f"U{i:032x}" for i in range(501)], messages=[TextMessage(text="x")],
                                          notification_disabled=False)
    with pytest.raises(ApiException) as caught:
        await sdk.api.multicast(too_many)
    assert caught.value.status == 400
    assert body_of(caught.value)["details"] == [{"message": "Size must be between 1 and 500", "property": "to"}]


async def test_six_messages_are_refused(line_sim: LineSim, sdk: Sdk) -> None:
    user = line_sim.create_user()
    six = PushMessageRequest.construct(to=user, messages=[TextMessage(text=str(i)) for i in range(6)],
                                       notification_disabled=False)
    with pytest.raises(ApiException) as caught:
        await sdk.api.push_message(six)
    assert caught.value.status == 400
    body = body_of(caught.value)
    assert body["message"] == "The request body has 1 error(s)"
    assert body["details"] == [{"message": "Size must be between 1 and 5", "property": "messages"}]
    assert line_sim.messages(user) == []


async def test_text_longer_than_5000_characters_is_refused(line_sim: LineSim, sdk: Sdk) -> None:
    user = line_sim.create_user()
    await sdk.api.push_message(PushMessageRequest(to=user, messages=[TextMessage(text="あ" * 5000)]))

    with pytest.raises(ApiException) as caught:
        await sdk.api.push_message(PushMessageRequest(
            to=user, messages=[TextMessage(text="ok"), TextMessage(text="あ" * 5001)]))
    assert caught.value.status == 400
    assert body_of(caught.value)["details"] == [
        {"message": "Length must be between 1 and 5000", "property": "messages[1].text"}]
    assert len(line_sim.messages(user)) == 1


async def test_fourteen_quick_reply_items_are_refused(line_sim: LineSim, sdk: Sdk) -> None:
    user = line_sim.create_user()
    items = [QuickReplyItem(action=MessageAction(label=f"選択{i}", text=f"選択{i}")) for i in range(14)]
    message = TextMessage(text="選んでください", quick_reply=QuickReply.construct(items=items))
    with pytest.raises(ApiException) as caught:
        await sdk.api.push_message(PushMessageRequest(to=user, messages=[message]))
    assert caught.value.status == 400
    assert body_of(caught.value)["details"][0]["property"] == "messages[0].quickReply.items"

    ok = TextMessage(text="選んでください", quick_reply=QuickReply(items=items[:13]))
    await sdk.api.push_message(PushMessageRequest(to=user, messages=[ok]))
    assert len(line_sim.messages(user)[0]["quickReply"]["items"]) == 13


async def test_sdk_model_errors_name_the_property(line_sim: LineSim) -> None:
    user = line_sim.create_user()
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {line_sim.access_token}"}) as http:
        async with http.post(f"{line_sim.url}/v2/bot/message/push", json={
            "to": user, "messages": [{"type": "text"}, {"type": "comic"}]}) as response:
            body = await response.json()
    assert response.status == 400
    properties = {d["property"] for d in body["details"]}
    assert {"messages[0].text", "messages[1]"} <= properties


async def test_retry_key_dedupes_push(line_sim: LineSim, sdk: Sdk) -> None:
    user = line_sim.create_user()
    key = str(uuid.uuid4())
    request = PushMessageRequest(to=user, messages=[TextMessage(text="一度だけ")])
    first = await sdk.api.push_message_with_http_info(request, x_line_retry_key=key)
    accepted_id = first.headers["x-line-request-id"]

    with pytest.raises(ApiException) as caught:
        await sdk.api.push_message(request, x_line_retry_key=key)

    assert caught.value.status == 409
    assert caught.value.headers["x-line-accepted-request-id"] == accepted_id
    assert body_of(caught.value)["sentMessages"] == [m.to_dict() for m in first.data.sent_messages]
    assert line_sim.messages(user) == [{"type": "text", "text": "一度だけ"}]


async def test_injected_faults_then_retry_with_the_same_key_delivers_once(line_sim: LineSim, sdk: Sdk) -> None:
    user = line_sim.create_user()
    line_sim.fail_next("/v2/bot/message/push", 429)
    line_sim.fail_next("/v2/bot/message/push", 500)
    key = str(uuid.uuid4())
    request = PushMessageRequest(to=user, messages=[TextMessage(text="再送テスト")])
    statuses = []
    for _ in range(4):
        try:
            await sdk.api.push_message(request, x_line_retry_key=key)
            statuses.append(200)
        except ApiException as exc:
            statuses.append(exc.status)

    assert statuses == [429, 500, 200, 409]
    assert line_sim.messages(user) == [{"type": "text", "text": "再送テスト"}]
    assert [c.status for c in line_sim.calls("/v2/bot/message/push")] == [429, 500, 200, 409]
    assert all(c.headers["x-line-retry-key"] == key for c in line_sim.calls("/v2/bot/message/push"))


async def test_multicast_retry_key_and_malformed_key(line_sim: LineSim, sdk: Sdk) -> None:
    user = line_sim.create_user()
    key = str(uuid.uuid4())
    request = MulticastRequest(to=[user], messages=[TextMessage(text="配信")])
    await sdk.api.multicast(request, x_line_retry_key=key)
    with pytest.raises(ApiException) as caught:
        await sdk.api.multicast(request, x_line_retry_key=key)
    assert caught.value.status == 409
    with pytest.raises(ApiException) as caught:
        await sdk.api.multicast(request, x_line_retry_key="not-a-uuid")
    assert caught.value.status == 400
    assert len(line_sim.messages(user)) == 1


async def test_wrong_token_is_401_and_channels_are_separate(line_sim: LineSim, sdk: Sdk) -> None:
    bad = await open_sdk(line_sim, token="wrong")
    try:
        with pytest.raises(ApiException) as caught:
            await bad.api.get_bot_info()
        assert caught.value.status == 401
        assert body_of(caught.value)["message"].startswith("Authentication failed")
    finally:
        await bad.client.close()

    second = line_sim.for_channel("second")
    user = second.create_user("二号")
    other = await open_sdk(line_sim, token=SECOND_TOKEN)
    try:
        await other.api.push_message(PushMessageRequest(to=user, messages=[TextMessage(text="テスト用")]))
        assert (await other.api.get_bot_info()).user_id == second.channel.config.bot_user_id
    finally:
        await other.client.close()
    with pytest.raises(ApiException):  # the production channel does not know the test channel's citizen
        await sdk.api.push_message(PushMessageRequest(to=user, messages=[TextMessage(text="x")]))
    assert second.messages(user) == [{"type": "text", "text": "テスト用"}]
    assert [c.channel for c in line_sim.service.state.calls.query("/v2/bot/message/push")] == ["second", "test"]


async def test_profile_content_broadcast_and_info(line_sim: LineSim, sdk: Sdk) -> None:
    user = line_sim.create_user("佐藤一郎")
    profile = await sdk.api.get_profile(user)
    assert (profile.display_name, profile.user_id, profile.language) == ("佐藤一郎", user, "ja")
    assert profile.picture_url.startswith(line_sim.url)

    event = await line_sim.send_image(user, b"\xff\xd8fake-jpeg", "image/jpeg")
    assert await sdk.blob.get_message_content(event["message"]["id"]) == b"\xff\xd8fake-jpeg"

    others = [line_sim.create_user("b"), line_sim.create_user("c")]
    await line_sim.unfollow(others[1])
    from linebot.v3.messaging import BroadcastRequest

    await sdk.api.broadcast(BroadcastRequest(messages=[TextMessage(text="防災情報")]))
    assert line_sim.messages(user) == line_sim.messages(others[0]) == [{"type": "text", "text": "防災情報"}]
    assert line_sim.messages(others[1]) == []
    with pytest.raises(ApiException) as caught:
        await sdk.api.get_profile(others[1])
    assert caught.value.status == 404
    assert (await sdk.api.get_message_quota()).type == "none"
    assert (await sdk.api.get_message_quota_consumption()).total_usage == 2


async def test_calls_over_http_filter_and_clear(line_sim: LineSim, sdk: Sdk, clock: ManualClock) -> None:
    user = line_sim.create_user()
    await sdk.api.push_message(PushMessageRequest(to=user, messages=[TextMessage(text="1")]))
    clock.advance(10)
    since = clock()
    await sdk.api.get_profile(user)
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{line_sim.url}/linesim/api/calls", params={"path": "/v2/bot/"}) as r:
            assert [c["path"] for c in (await r.json())["calls"]] == ["/v2/bot/message/push", f"/v2/bot/profile/{user}"]
        async with http.get(f"{line_sim.url}/linesim/api/calls", params={"since": str(since)}) as r:
            calls = (await r.json())["calls"]
            assert [c["method"] for c in calls] == ["GET"]
            assert calls[0]["timestamp"] == since
        async with http.delete(f"{line_sim.url}/linesim/api/calls") as r:
            assert r.status == 200
    assert line_sim.calls() == []


async def test_content_urls_encode_the_message_id(line_sim: LineSim, monkeypatch) -> None:
    """A message id is one path segment of the content URL, whatever characters it holds."""
    from linesim import ids

    user = line_sim.create_user("佐藤一郎")
    monkeypatch.setattr(ids, "message_id", lambda: "9/../../v2/bot/info?x=1#y")
    await line_sim.send_image(user, b"\xff\xd8fake-jpeg", "image/jpeg")
    shown = line_sim.channel.timelines[user][-1].message
    assert shown["originalContentUrl"] == (
        "/linesim/api/content/9%2F..%2F..%2Fv2%2Fbot%2Finfo%3Fx%3D1%23y?channel=" + line_sim.channel.name)
    async with aiohttp.ClientSession() as http:
        async with http.get(line_sim.url + shown["originalContentUrl"]) as r:
            assert r.status == 200 and await r.read() == b"\xff\xd8fake-jpeg"
