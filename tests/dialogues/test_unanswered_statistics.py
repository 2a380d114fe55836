"""The unanswered-question figures count what the bot could not answer, not the answers citizens
gave to the bot's own questions (「本町」「4人」), through the webhook."""

from __future__ import annotations

from typing import Any

from sqlmodel import col, select

from civic.clock import FrozenClock
from civic.stats import services as stats
from civic.talklog.models import TalkEntry
from tests.dialogues.conftest import START, Town, texts
from tests.dialogues.counter_town import CounterTown

DAY = START.date()


async def _unanswered(town: Town) -> list[str]:
    async with town.db.read() as s:
        return [u.text for u in await stats.unanswered(s, DAY, DAY)]


async def _intents(town: Town, user: str) -> dict[str, str | None]:
    async with town.db.read() as s:
        rows = (await s.exec(select(TalkEntry).where(TalkEntry.channel_user_id == user, TalkEntry.direction == "in")
                             .order_by(col(TalkEntry.id)))).all()
    return {r.text or "": r.intent for r in rows}


async def test_an_area_given_when_asked_is_not_unanswered(any_town: Town) -> None:
    town = any_town
    chat = town.chat()
    out = await chat.say("使い終わったスプレー缶ってどう捨てる？")
    assert "お住まいの地区を教えて" in texts(out)
    out = await chat.say("本町")
    assert "地区を「本町」で登録しました" in texts(out)
    out = await chat.say("宇宙人の住民登録はできますか")
    assert "回答が見つかりませんでした" in texts(out)

    assert await _unanswered(town) == ["宇宙人の住民登録はできますか"]
    intents = await _intents(town, chat.user)
    assert intents["本町"] == "flow_answer" and intents["宇宙人の住民登録はできますか"] == "nlu_fallback"
    async with town.db.read() as s:
        [day] = await stats.daily(s, DAY, DAY)
    assert day.fallbacks == 1 and day.understood == 2


async def test_a_head_count_given_when_asked_is_not_unanswered(line_sim: Any, knowledge: Any, sqlite_db: Any,
                                                               aiohttp_client: Any) -> None:
    town = CounterTown(line_sim, knowledge, sqlite_db.url, FrozenClock(START), aiohttp_client)
    await town.start()
    await town.seed_facilities()
    chat = town.chat()
    await chat.say("来週の土曜に桜木体育館を借りたい")
    await chat.tap_quick_reply("全面")
    await chat.tap_quick_reply("午後 13:00〜17:00")
    await chat.tap_quick_reply("備品は使わない")
    out = await chat.tap_quick_reply("バレーボール")
    assert "人数を、数字で入力してください" in texts(out)
    out = await chat.say("4人")
    assert "4人ですね" in texts(out)
    assert await _unanswered(town) == []
    assert (await _intents(town, chat.user))["4人"] != "nlu_fallback"


async def test_a_question_the_faq_cannot_answer_counts_even_when_the_nlu_placed_it(town: Town) -> None:
    chat = town.chat()
    out = await chat.say("町内で蜂の巣を見つけたらどうすればいいですか？")
    assert "回答が見つかりませんでした" in texts(out)
    assert await _unanswered(town) == ["町内で蜂の巣を見つけたらどうすればいいですか？"]
