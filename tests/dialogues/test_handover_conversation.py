"""有人チャット (issue #17), the citizen's side through the webhook and linesim: asking for a person,
office hours, messages going to staff while the bot stays silent, staff replies arriving as pushes,
closing and rating, and the offer after failed answers."""

from __future__ import annotations

from sqlmodel import col, select

from bot.appkeys import NOTIFIER
from bot.outbox.models import OutboundMessage
from civic.handover import services as handovers
from civic.handover.models import CITIZEN, CLOSED, OPEN, STAFF, Handover, HandoverMessage
from civic.talklog.models import TalkEntry
from tests.dialogues.conftest import Town, texts

CLERK = handovers.Staff(7, "窓口 花子")


async def _handover(town: Town, user: str) -> Handover | None:
    async with town.db.read() as s:
        return (await s.exec(select(Handover).where(Handover.channel_user_id == user)
                             .order_by(col(Handover.id).desc()))).first()


async def _messages(town: Town, handover_id: int) -> list[HandoverMessage]:
    async with town.db.read() as s:
        return await handovers.messages_of(s, handover_id)


async def _staff_says(town: Town, handover_id: int, text: str) -> None:
    async with town.db.write() as s:
        await handovers.reply(s, handover_id, CLERK, text, now=town.clock.now(), notifier=town.app[NOTIFIER])
    await town.settle()


async def test_a_citizen_talks_to_staff_and_back_to_the_bot(any_town: Town) -> None:
    town = any_town
    chat = town.chat()
    out = await chat.say("職員と話したい")
    assert "職員におつなぎします" in texts(out) and "10分ほど" in texts(out) and "「終了」" in texts(out)
    row = await _handover(town, chat.user)
    assert row is not None and row.status == OPEN and not row.queued and row.id is not None

    # while open, the bot is silent and the message reaches staff
    assert await chat.say("燃えるごみの日はいつですか") == []
    await chat.send_location(34.9982, 134.9970, "みどり町本町1丁目")
    got = await _messages(town, row.id)
    assert [(g.author, g.kind) for g in got] == [(CITIZEN, "text"), (CITIZEN, "location")]
    assert got[0].text == "燃えるごみの日はいつですか" and "本町1丁目" in got[1].text

    await _staff_says(town, row.id, "月曜日と木曜日です。")
    out = chat._new()
    assert len(out) == 1 and out[0]["text"] == "【職員より】\n月曜日と木曜日です。"
    assert (await _handover(town, chat.user)).assignee_id == CLERK.id  # type: ignore[union-attr]

    async with town.db.write() as s:
        await handovers.close(s, row.id, by=STAFF, now=town.clock.now(), notifier=town.app[NOTIFIER])
    await town.settle()
    out = chat._new()
    assert "終了しました" in texts(out)
    out = await chat.tap_quick_reply("満足")
    assert "ご評価ありがとうございます" in texts(out)
    closed = await _handover(town, chat.user)
    assert closed is not None and closed.status == CLOSED and closed.rating == "good"

    out = await chat.say("燃えるごみの日はいつですか")  # the bot answers again
    assert out and "【職員より】" not in texts(out)
    assert len(await _messages(town, row.id)) == 3  # nothing more went to staff


async def test_other_ways_to_ask_and_ending_it_oneself(town: Town) -> None:
    for words in ("人に聞きたい", "オペレーターをお願いします"):
        chat = town.chat()
        out = await chat.say(words)
        assert "職員におつなぎします" in texts(out), words
        assert "すでに職員へおつなぎしています" in texts(await chat.say("職員と話したい"))
        out = await chat.say("ボットに戻る")
        assert "終了しました" in texts(out)
        row = await _handover(town, chat.user)
        assert row is not None and row.status == CLOSED and row.closed_by == CITIZEN


async def test_outside_office_hours_the_request_is_queued(town: Town) -> None:
    town.advance(days=5)  # Saturday 14 June 2025, 10:00
    chat = town.chat()
    out = await chat.say("職員と話したい")
    assert "対応時間外" in texts(out) and "平日" in texts(out) and "8:30〜17:15" in texts(out)
    assert "6月16日（月）8:30以降" in texts(out)
    row = await _handover(town, chat.user)
    assert row is not None and row.queued


async def test_two_failed_answers_in_a_row_offer_a_person(town: Town) -> None:
    chat = town.chat()
    out = await chat.say("宇宙人の住民登録はできますか")
    assert "回答が見つかりませんでした" in texts(out) and "職員と話す" not in str(out)
    out = await chat.say("町内で蜂の巣を見つけたらどうすればいいですか？")
    assert "職員がこのトークで直接お答えします" in texts(out)
    out = await chat.tap_quick_reply("職員と話す")
    assert "職員におつなぎします" in texts(out)
    row = await _handover(town, chat.user)
    assert row is not None and row.reason == "offered"


async def test_not_helpful_offers_a_person_beside_the_menu(town: Town) -> None:
    import json
    import re

    chat = town.chat()
    out = await chat.say("図書館の休館日はいつですか")
    found = re.search(r"faq=fb&a=\d+&v=0", json.dumps(out, ensure_ascii=False))
    assert found is not None
    out = await chat.tap(found.group(0), "役に立たなかった")
    labels = [i["action"]["label"] for i in out[-1]["quickReply"]["items"]]
    assert labels[0] == "職員と話す" and "ごみの出し方" in labels


class _Silent:
    """No LINE account behind a web chat session: what the notifier would push is skipped."""

    async def notify(self, session: object, notice: object) -> None:
        return None


async def test_the_web_chat_hands_over_and_shows_staff_replies(town: Town, aiohttp_client: object) -> None:
    from civic.handover import services as handovers
    from tests.dialogues.test_webchat import _client

    client = await _client(aiohttp_client, town.knowledge, town.db)
    body = await (await client.post("/api/messages", json={"text": "職員と話したい"})).json()
    assert body["handover"] is True and "職員" in texts(body["messages"])
    sid = body["session"]
    body = await (await client.post("/api/messages", json={"session": sid, "text": "住民票について質問です"})).json()
    assert body == {"session": sid, "messages": [], "handover": True}  # to staff, not the bot
    async with town.db.write() as s:
        row = await handovers.open_for(s, f"web:{sid}")
        assert row is not None and row.id is not None and row.channel == "web"
        hid = row.id
        await handovers.reply(s, hid, handovers.Staff(1, "窓口"), "ご用件を承ります。", now=town.clock.now(),
                              notifier=town.app[NOTIFIER])
    async with town.db.read() as s:  # the reply is in the talk log like any answer, with nothing pushed to LINE
        said = (await s.exec(select(TalkEntry.direction, TalkEntry.text)
                             .where(TalkEntry.channel_user_id == f"web:{sid}"))).all()
        pushed = (await s.exec(select(OutboundMessage.id).where(OutboundMessage.to == f"web:{sid}"))).all()
    assert ("out", "【職員より】\nご用件を承ります。") in said and not pushed
    polled = await (await client.get("/api/handover", params={"session": sid, "after": "0"})).json()
    assert polled["open"] is True and texts(polled["messages"]) == "【職員より】\nご用件を承ります。"
    again = await (await client.get("/api/handover", params={"session": sid, "after": str(polled["last"])})).json()
    assert again == {"open": True, "last": polled["last"], "messages": []}
    async with town.db.write() as s:
        await handovers.close(s, hid, by="staff", now=town.clock.now(), notifier=_Silent())
    closed = await (await client.get("/api/handover", params={"session": sid, "after": str(polled["last"])})).json()
    assert closed["open"] is False and "終了しました" in texts(closed["messages"])
    rate = closed["messages"][-1]["quickReply"]["items"][0]["action"]
    assert rate["label"] == "満足"
    body = await (await client.post("/api/messages", json={"session": sid, "postback": rate["data"]})).json()
    assert "ご評価ありがとうございます" in texts(body["messages"]) and body["handover"] is False
    body = await (await client.post("/api/messages", json={"session": sid, "text": "燃えるごみの日はいつですか"})).json()
    assert body["messages"] and body["handover"] is False  # the bot answers again
    assert (await client.get("/api/handover", params={"session": "x", "after": "0"})).status == 422
