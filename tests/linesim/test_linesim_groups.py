"""Groups, rooms and 送信取消 in linesim: events parse with the SDK's own models; the account leaves
through the SDK's ``leave_group`` / ``leave_room``, as with LINE."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest
from linebot.v3.messaging import ApiException, PushMessageRequest, ReplyMessageRequest, TextMessage
from linebot.v3.webhooks import (
    GroupSource,
    JoinEvent,
    LeaveEvent,
    MessageEvent,
    RoomSource,
    UnsendEvent,
    UserSource,
)
from linesim_support import Sdk
from test_linesim_webhook import ReceiverFactory, receiver_for  # noqa: F401

from linesim.service import CitizenError
from linesim.testing import LineSim


async def test_join_message_reply_push_and_leave_a_group(line_sim: LineSim, sdk: Sdk,
                                                         receiver_for: ReceiverFactory) -> None:  # noqa: F811
    receiver = await receiver_for(line_sim.channel_secret)
    a, b = line_sim.create_user("山田"), line_sim.create_user("佐藤")
    group = line_sim.create_group([a, b], name="山田家")
    assert group.startswith("C") and len(group) == 33
    assert await line_sim.send_group_text(group, a, "まだいない") is None  # the account is not in it: no event

    join = await line_sim.invite(group)
    message = await line_sim.send_group_text(group, b, "ごみの日は？")
    joined, said = receiver.events
    assert isinstance(joined, JoinEvent) and isinstance(joined.source, GroupSource)
    assert joined.source.group_id == group and receiver.raw[0]["source"] == {"type": "group", "groupId": group}
    assert isinstance(said, MessageEvent) and said.source.user_id == b and said.source.group_id == group

    await sdk.api.reply_message(ReplyMessageRequest(reply_token=join["replyToken"],
                                                    messages=[TextMessage(text="こんにちは")]))
    await sdk.api.push_message(PushMessageRequest(to=group, messages=[TextMessage(text="お知らせ")]))
    assert [m["text"] for m in line_sim.messages(group)] == ["こんにちは", "お知らせ"]
    assert line_sim.messages(a) == [] and message is not None

    await sdk.api.leave_group(group)
    assert not line_sim.in_chat(group)
    left = receiver.events[-1]
    assert isinstance(left, LeaveEvent) and "replyToken" not in receiver.raw[-1]
    with pytest.raises(ApiException) as again:
        await sdk.api.leave_group(group)
    assert again.value.status == 404
    with pytest.raises(ApiException) as pushed:
        await sdk.api.push_message(PushMessageRequest(to=group, messages=[TextMessage(text="届かない")]))
    assert pushed.value.status == 400


async def test_a_room_is_left_with_leave_room_only(line_sim: LineSim, sdk: Sdk,
                                                   receiver_for: ReceiverFactory) -> None:  # noqa: F811
    receiver = await receiver_for(line_sim.channel_secret)
    room = line_sim.create_group([line_sim.create_user()], kind="room")
    await line_sim.invite(room)
    assert room.startswith("R") and isinstance(receiver.events[0].source, RoomSource)
    with pytest.raises(ApiException) as wrong:
        await sdk.api.leave_group(room)
    assert wrong.value.status == 404
    await sdk.api.leave_room(room)
    assert not line_sim.in_chat(room)


async def test_unsend_takes_the_message_off_the_chat_and_tells_the_bot(line_sim: LineSim,
                                                                       receiver_for: ReceiverFactory) -> None:  # noqa: F811
    receiver = await receiver_for(line_sim.channel_secret)
    user, other = line_sim.create_user(), line_sim.create_user()
    sent = await line_sim.send_text(user, "まちがえた")
    message_id = sent["message"]["id"]
    with pytest.raises(CitizenError):  # only the sender can take it back
        await line_sim.unsend(other, message_id)
    event = await line_sim.unsend(user, message_id)
    assert event is not None and event["unsend"] == {"messageId": message_id} and "replyToken" not in event
    unsend = receiver.events[-1]
    assert isinstance(unsend, UnsendEvent) and isinstance(unsend.source, UserSource)
    assert unsend.unsend.message_id == message_id
    assert [e.id for e in line_sim.channel.timelines[user]] == []

    async with aiohttp.ClientSession() as http:  # the same over linesim's HTTP API
        again = await line_sim.send_text(user, "もう一度")
        url = f"{line_sim.url}/linesim/api/users/{user}/actions"
        async with http.post(url, json={"type": "unsend", "messageId": again["message"]["id"]}) as r:
            body: dict[str, Any] = await r.json()
        assert r.status == 200 and body["event"]["type"] == "unsend" and body["delivery"]["status"] == 200
        async with http.post(url, json={"type": "unsend", "messageId": "123"}) as r:
            assert r.status == 404
