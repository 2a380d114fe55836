"""Emergencies first: 119 / 110 before any flow, in every state of the conversation, through the
webhook and linesim."""

from __future__ import annotations

from typing import Any

from sqlmodel import select

from civic.talklog.models import TalkEntry
from tests.dialogues.conftest import INSIDE, Chat, Town, state_of, texts
from tests.dialogues.counter_town import CounterTown


def _quick_reply_data(messages: list[dict[str, Any]], label: str) -> str:
    for item in messages[-1].get("quickReply", {}).get("items", []):
        if item["action"].get("label") == label:
            return item["action"]["data"]
    raise AssertionError(f"no quick reply {label!r}")


async def test_a_fire_gets_119_not_office_hours(any_town: Town) -> None:
    chat = any_town.chat()
    out = await chat.say("たすけて　家が火事です")
    assert len(out) == 1
    text = texts(out)
    assert "今すぐ 119番" in text and "火事です" in text and "緊急の通報を受け付けていません" in text
    assert "8:30" not in text and "平日" not in text
    async with any_town.db.read() as s:
        entry = (await s.exec(select(TalkEntry).where(TalkEntry.direction == "in"))).one()
    assert entry.intent == "emergency"


async def test_police_matters_get_110_and_english_gets_english(town: Town) -> None:
    chat = town.chat()
    assert "今すぐ 110番" in texts(await chat.say("家の前に不審な男がいます"))
    out = await chat.say("help, fire")
    assert "call 119 now" in texts(out) and "番" not in texts(out)


async def test_look_alikes_are_ordinary_questions(town: Town) -> None:
    chat = town.chat()
    for text in ("火事の後のごみはどう出せばいいですか", "救急の日の予定を教えて", "燃えるごみの日はいつですか"):
        out = await chat.say(text)
        assert "119" not in texts(out) and "110" not in texts(out), text


async def test_mid_report_a_collapse_is_not_taken_as_the_description(town: Town) -> None:
    chat = town.chat()
    await chat.tap("action=report", "道路の損傷を通報")
    await chat.tap("flow=report&cat=road_surface", "道路の穴・段差")
    await chat.tap("flow=report&photo=skip", "写真なしで進む")
    out = await chat.send_location(*INSIDE, address="みどり町本町1丁目")
    assert "短く教えてください" in texts(out)  # the free-text step: anything typed would be the description
    before = (await state_of(town, chat.user))["flow"]

    out = await chat.say("人が倒れています！")
    assert len(out) == 1 and "今すぐ 119番" in texts(out) and "救急車" in texts(out)
    assert (await state_of(town, chat.user))["flow"] == before  # the report waits, untouched

    out = await chat.say("歩道に大きな穴があいています")
    assert "説明：歩道に大きな穴があいています" in texts(out)


async def test_mid_booking_a_child_not_breathing_gets_119_at_once(line_sim: Any, knowledge: Any, sqlite_db: Any,
                                                                   aiohttp_client: Any) -> None:
    from civic.clock import FrozenClock
    from tests.dialogues.conftest import START

    town = CounterTown(line_sim, knowledge, sqlite_db.url, FrozenClock(START), aiohttp_client)
    await town.start()
    await town.seed_facilities()
    chat: Chat = town.chat()
    asked = await chat.say("来週の土曜に桜木体育館を借りたい")
    assert "みどり町桜木体育館のどちらをご利用になりますか" in texts(asked)
    before = (await state_of(town, chat.user))["flow"]

    out = await chat.say("子供が息をしていない")
    assert len(out) == 1
    assert "今すぐ 119番" in texts(out) and "予約" not in texts(out)
    assert (await state_of(town, chat.user))["flow"] == before

    out = await chat.tap(_quick_reply_data(asked, "全面"), "全面")  # the booking goes on where it was
    assert "2025年6月21日(土)の全面の空いている時間帯です" in texts(out)


async def test_cancel_words_do_not_hide_an_emergency(town: Town) -> None:
    chat = town.chat()
    await chat.tap("action=faq", "よくある質問")
    out = await chat.say("やめて！助けて！")
    assert "119番" in texts(out) and "110番" in texts(out)
    assert (await state_of(town, chat.user))["flow"]["name"] == "faq"
