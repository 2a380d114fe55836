"""The service end to end against linesim, through line-bot-sdk's real client."""

from __future__ import annotations

import io
import json
from datetime import timedelta

from PIL import Image
from sqlmodel import select

from bot.appkeys import DATABASE, DISPATCHER, SENDER
from bot.outbox.models import OutboundMessage
from bot.turn import Turn
from civic.citizens.models import Citizen, FriendshipEvent
from civic.talklog.models import TalkEntry


async def settle(service) -> None:
    await service.app[DISPATCHER].wait_idle()
    await service.app[SENDER].flush()


async def test_a_text_gets_a_polite_help_reply(start_service, database_url) -> None:
    service = await start_service(database_url)
    user = service.sim.create_user("山田花子")
    await service.sim.send_text(user, "こんにちは")
    [message] = await service.sim.wait_for_messages(user, 1)
    assert message["type"] == "text" and "LINE 窓口" in message["text"]
    labels = [i["action"]["label"] for i in message["quickReply"]["items"]]
    assert "ごみの出し方" in labels
    assert [c.path for c in service.sim.calls("/v2/bot/message")] == ["/v2/bot/message/reply"]
    await settle(service)
    async with service.app[DATABASE].read() as s:
        talk = (await s.exec(select(TalkEntry).order_by(TalkEntry.id))).all()
        outbox = (await s.exec(select(OutboundMessage))).one()
    assert [(t.direction, t.kind) for t in talk] == [("in", "text"), ("out", "text")]
    assert talk[0].text == "こんにちは"
    assert (outbox.status, outbox.via) == ("sent", "reply")


async def test_follow_and_unfollow_are_recorded(start_service, database_url) -> None:
    service = await start_service(database_url)
    user = service.sim.create_user("佐藤")
    await service.sim.unfollow(user)
    await service.sim.follow(user)
    [welcome] = await service.sim.wait_for_messages(user, 1)
    assert "友だち追加ありがとうございます" in welcome["text"]
    await service.sim.unfollow(user)
    await settle(service)
    async with service.app[DATABASE].read() as s:
        citizen = (await s.exec(select(Citizen))).one()
        kinds = [e.kind for e in (await s.exec(select(FriendshipEvent).order_by(FriendshipEvent.id))).all()]
    assert citizen.is_friend is False and citizen.unfollowed_at is not None
    assert kinds == ["unfollow", "follow", "unfollow"]


async def test_expired_reply_token_falls_back_to_push(start_service, sqlite_db) -> None:
    class Slow:
        """Answers after the token has expired at linesim (as if the turn took too long)."""

        def __init__(self, service_ref: list) -> None:
            self.ref = service_ref

        async def handle(self, turn: Turn) -> None:
            self.ref[0].sim_clock.now += 3600
            turn.say({"type": "text", "text": "お待たせしました"})

    ref: list = []
    service = await start_service(sqlite_db.url, handler=Slow(ref))
    ref.append(service)
    user = service.sim.create_user()
    await service.sim.send_text(user, "質問です")
    [message] = await service.sim.wait_for_messages(user, 1)
    assert message["text"] == "お待たせしました"
    paths = [c.path for c in service.sim.calls("/v2/bot/message")]
    assert paths == ["/v2/bot/message/reply", "/v2/bot/message/push"]


async def test_stale_token_goes_straight_to_push(start_service, sqlite_db) -> None:
    class AdvanceOwnClock:
        def __init__(self, ref: list) -> None:
            self.ref = ref

        async def handle(self, turn: Turn) -> None:
            self.ref[0].clock.advance(timedelta(minutes=5))
            turn.say({"type": "text", "text": "遅くなりました"})

    ref: list = []
    service = await start_service(sqlite_db.url, handler=AdvanceOwnClock(ref))
    ref.append(service)
    user = service.sim.create_user()
    await service.sim.send_text(user, "x")
    await service.sim.wait_for_messages(user, 1)
    assert [c.path for c in service.sim.calls("/v2/bot/message")] == ["/v2/bot/message/push"]


async def test_push_retries_with_the_same_retry_key_and_delivers_once(start_service, sqlite_db) -> None:
    class PushOnly:
        async def handle(self, turn: Turn) -> None:
            turn.event.pop("replyToken", None)
            turn.say({"type": "text", "text": "プッシュでお知らせします"})

    service = await start_service(sqlite_db.url, handler=PushOnly())
    user = service.sim.create_user()
    service.sim.fail_next("/v2/bot/message/push", 500, times=1)
    service.sim.fail_next("/v2/bot/message/push", 429, times=1)
    await service.sim.send_text(user, "x")
    await service.sim.wait_for_messages(user, 1)
    await settle(service)
    pushes = service.sim.calls("/v2/bot/message/push")
    keys = {c.headers.get("X-Line-Retry-Key") for c in pushes}
    assert len(pushes) >= 3 and len(keys) == 1 and None not in keys
    assert len(service.sim.messages(user)) == 1


async def test_a_push_resent_after_a_crash_is_delivered_once(start_service, sqlite_db) -> None:
    """The outbox row survives, is sent, then (as after a crash before marking) sent again."""
    service = await start_service(sqlite_db.url)
    user = service.sim.create_user()
    sender = service.app[SENDER]
    row = OutboundMessage(channel="production", to=user, retry_key="0b8f2c3e-1f51-4f7e-9a77-3a0c2b1d9e01",
                          messages=json.dumps([{"type": "text", "text": "お知らせ"}]),
                          created_at=service.clock.now())
    async with service.app[DATABASE].write() as s:
        s.add(row)
    await sender.send(row)
    await sender.send(row, recovering=True)
    await settle(service)
    assert len(service.sim.messages(user)) == 1
    assert [c.status for c in service.sim.calls("/v2/bot/message/push")] == [200, 409]


async def test_image_content_is_downloaded_for_the_turn(start_service, sqlite_db) -> None:
    class Keep:
        content: bytes | None = None

        async def handle(self, turn: Turn) -> None:
            if turn.inbound.message_type == "image":
                Keep.content = turn.content
                turn.say({"type": "text", "text": "画像を受け付けました"})

    service = await start_service(sqlite_db.url, handler=Keep())
    user = service.sim.create_user()
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(out, "JPEG")
    await service.sim.send_image(user, out.getvalue())
    await service.sim.wait_for_messages(user, 1)
    assert Keep.content == out.getvalue()


async def test_long_texts_and_emoji_get_a_reply(start_service, sqlite_db) -> None:
    service = await start_service(sqlite_db.url)
    user = service.sim.create_user()
    await service.sim.send_text(user, "あ" * 4999 + "🙇")
    await service.sim.send_text(user, "🙂🙂🙂")
    await service.sim.send_sticker(user)
    messages = await service.sim.wait_for_messages(user, 3)
    assert all("LINE 窓口" in m["text"] for m in messages)


async def test_the_spine_answers_an_emergency_with_119_too(start_service, sqlite_db) -> None:
    service = await start_service(sqlite_db.url)
    user = service.sim.create_user("山田花子")
    await service.sim.send_text(user, "隣の家が燃えてる！")
    [message] = await service.sim.wait_for_messages(user, 1)
    assert "今すぐ 119番" in message["text"] and "LINE 窓口" not in message["text"]
    assert message["quickReply"]["items"]  # and the menu, for anything else
    await settle(service)
    async with service.app[DATABASE].read() as s:
        entry = (await s.exec(select(TalkEntry).where(TalkEntry.direction == "in"))).one()
    assert entry.intent == "emergency"
