"""LINE's 送信取消 through the webhook: an unsent message leaves the talk log, the FAQ's records and
whatever a flow kept of it before it was submitted (a report's photo, its place, its description)."""

from __future__ import annotations

import json
from typing import Any

from sqlmodel import select

from civic.faq.models import UnansweredQuestion
from civic.reports.models import Report, ReportPhoto
from tests.dialogues.conftest import INSIDE, Chat, Town, photo, state_of, talk_of, texts

DESCRIPTION = "歩道のふたが外れていて、090-1234-5678 の家の前です"




async def _rows(town: Town, model: Any) -> list[Any]:
    async with town.db.read() as s:
        return list((await s.exec(select(model))).all())


async def _sent(town: Town, chat: Chat, event: Any) -> str:
    """The id LINE gave the citizen's message (to unsend it later), once its turn has run."""
    await town.settle()
    chat._new()
    return str(event["message"]["id"])


async def _unsend(town: Town, chat: Chat, message_id: str) -> None:
    await town.sim.unsend(chat.user, message_id)
    await town.settle()
    assert chat._new() == []  # an unsend has no reply token: nothing is said


async def test_an_unsent_photo_place_and_description_leave_the_report(any_town: Town) -> None:
    town = any_town
    chat = town.chat()
    await chat.tap("action=report", "道路の損傷を通報")
    await chat.tap("flow=report&cat=road_surface", "道路の穴・段差")
    photo_id = await _sent(town, chat, await town.sim.send_image(chat.user, photo(800, 600)))
    place_id = await _sent(town, chat, await town.sim.send_text(chat.user, "みどり町本町２－５－３"))
    said_id = await _sent(town, chat, await town.sim.send_text(chat.user, DESCRIPTION))
    assert len(await _rows(town, ReportPhoto)) == 1
    assert any(DESCRIPTION in (e.text or "") for e in await talk_of(town, chat.user) if e.direction == "out")

    await _unsend(town, chat, photo_id)
    await _unsend(town, chat, said_id)
    await _unsend(town, chat, place_id)

    assert await _rows(town, ReportPhoto) == []
    flow = (await state_of(town, chat.user))["flow"]
    assert flow["state"] == "confirm"
    assert "photo_id" not in flow["data"] and flow["data"]["description"] == ""
    assert "latitude" not in flow["data"] and "address" not in flow["data"]
    assert "本町２－５－３" not in json.dumps(flow, ensure_ascii=False)
    assert DESCRIPTION not in json.dumps(flow, ensure_ascii=False)  # nor in the summary kept to repeat
    talk = await talk_of(town, chat.user)
    unsent = [e for e in talk if e.message_id in {photo_id, place_id, said_id}]
    assert [(e.kind, e.text) for e in unsent] == [("unsent", None)] * 3
    assert not any(DESCRIPTION in (e.text or "") or "本町２－５－３" in (e.text or "") for e in talk)

    out = await chat.say("送信する")  # the place is missing now: asked again, not sent without it
    assert "場所をもう一度教えてください" in texts(out)
    out = await chat.send_location(*INSIDE, address="みどり町本町1丁目")
    assert "写真：なし" in texts(out) and "説明：（なし）" in texts(out)
    out = await chat.say("送信する")
    assert "受付番号は" in texts(out)
    [report] = await _rows(town, Report)
    assert not report.has_photo and report.description == "" and report.location_source == "line"


async def test_an_unsent_question_leaves_the_unanswered_list(town: Town) -> None:
    chat = town.chat()
    question = "宇宙人の住民登録はできますか、うちは090-1234-5678です"
    message_id = await _sent(town, chat, await town.sim.send_text(chat.user, question))
    [recorded] = await _rows(town, UnansweredQuestion)
    assert recorded.question == question

    await _unsend(town, chat, message_id)
    assert await _rows(town, UnansweredQuestion) == []
    [entry] = [e for e in await talk_of(town, chat.user) if e.direction == "in"]
    assert (entry.kind, entry.text, entry.message_id) == ("unsent", None, message_id)
    out = await chat.say("ごみの出し方を知りたい")  # the conversation simply goes on
    assert texts(out)
