"""手続きナビ as whole conversations through the webhook and linesim (小郡市 §8(6) i, j, l, q, r).

The clock stands at Monday 9 June 2025, 10:00; the content is the demo town's
(``content/midori/procedures``).
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from civic.clock import FrozenClock
from civic.procedures.services import access_counts
from conversation.state import ConversationState
from linesim.testing import LineSim
from tests.dialogues.conftest import START, Chat, quick_labels, texts
from tests.dialogues.counter_town import CounterTown, pick_date

EVENTS = ["転入（町外から）", "転居（町内で）", "転出（町外へ）", "出生", "婚姻（結婚）", "離婚", "死亡（おくやみ）", "氏名の変更",
          "証明書の請求"]


@pytest.fixture
async def town(line_sim: LineSim, knowledge: Any, sqlite_db: Any, aiohttp_client: Any) -> AsyncIterator[CounterTown]:
    t = CounterTown(line_sim, knowledge, sqlite_db.url, FrozenClock(START), aiohttp_client)
    await t.start()
    yield t


@pytest.fixture
async def any_town(line_sim: LineSim, knowledge: Any, database_url: str,
                   aiohttp_client: Any) -> AsyncIterator[CounterTown]:
    t = CounterTown(line_sim, knowledge, database_url, FrozenClock(START), aiohttp_client)
    await t.start()
    yield t


def progress(messages: list[dict[str, Any]]) -> int:
    found = re.findall(r"（(\d+)% 完了）", texts(messages))
    assert found, texts(messages)
    return int(found[-1])


async def _flow(town: CounterTown, user: str) -> dict[str, Any] | None:
    async with town.db.read() as s:
        row = await s.get(ConversationState, user)
    return json.loads(row.data).get("flow") if row else None


async def _to_moved_on(chat: Chat) -> list[dict[str, Any]]:
    """転入 from another town, paper moving-out notice, certificate at hand: up to the date question."""
    await chat.say("転入の手続きを知りたい")
    await chat.tap_quick_reply("国内の他の市区町村")
    await chat.tap_quick_reply("窓口・郵送で")
    out = await chat.tap_quick_reply("はい")
    assert "住み始めた日（予定日）はいつですか" in texts(out)
    return out


async def test_tennyu_to_a_result_with_progress(any_town: CounterTown) -> None:
    town = any_town
    chat = town.chat()
    out = await chat.say("転入の手続きを知りたい")  # procedure_nav with life_event 転入: no event question
    assert "「転入（町外からの引っ越し）」の手続きをご案内します" in texts(out)
    assert "（0% 完了）" in texts(out) and "どこから引っ越してきましたか？" in texts(out)
    assert quick_labels(out) == ["国内の他の市区町村", "海外", "戻る"]
    seen = [0]
    out = await chat.tap_quick_reply("国内の他の市区町村")
    seen.append(progress(out))
    assert "【ことばの説明】「転出届」は" in texts(out)  # plain-language help
    out = await chat.say("窓口・郵送で")  # the option's label, typed
    seen.append(progress(out))
    out = await chat.say("はい")
    seen.append(progress(out))
    assert "2024年6月9日（日）から2025年8月8日（金）までの日付です" in texts(out)

    out = await chat.say("令和7年2月30日")  # impossible: refused kindly, the same question again
    assert "申し訳ありません。2025年2月は28日までです（30日はありません）。" in texts(out)
    assert progress(out) == seen[-1] and "住み始めた日" in texts(out)
    out = await chat.say("平成31年5月1日")
    assert "平成は1989年1月8日から2019年4月30日までです" in texts(out)
    out = await chat.say("2030年1月1日")
    assert "2025年8月8日（金）より後の日付は、まだ手続きできません" in texts(out)
    out = await chat.say("2025年6月1日")
    assert "2025年6月1日（日）ですね" in texts(out) and "マイナンバーカード" in texts(out)
    seen.append(progress(out))
    for answer in ("いいえ", "いいえ", "いない", "いいえ"):
        out = await chat.tap_quick_reply(answer)
        seen.append(progress(out))
    assert "印鑑登録" in texts(out) and "答えなくても次へ進めます" in texts(out)
    out = await chat.tap_quick_reply("答えずに次へ")
    seen.append(progress(out))
    assert seen == sorted(seen) and len(set(seen)) == len(seen) and seen[-1] < 100  # it only goes forward
    out = await chat.tap_quick_reply("いいえ")

    body = texts(out)
    assert "ご回答ありがとうございました。" in body and "【転入（町外からの引っ越し）の手続き】" in body
    assert "1. 転入届" in body and "転出証明書" in body
    assert "期限: 2025年6月16日（月）まで（土日祝日・年末年始のため翌開庁日）" in body  # 14 days from 6/1
    assert "お問い合わせ: みどり町役場 0000-00-1111" in body
    assert all(m_["type"] != "text" or len(m_["text"]) <= 5000 for m_ in out)
    link = out[-1]
    assert link["type"] == "flex" and "事前に入力すると、窓口で読み取るQRコード" in texts([link])
    # the page opens at this result: the talk's answers ride in the link's fragment, in asking order
    uri = urlsplit(link["contents"]["footer"]["contents"][0]["action"]["uri"])
    assert (uri.scheme, uri.netloc, uri.path, uri.query) == ("http", "madoguchi.test", "/liff/procedures/", "")
    carried = parse_qsl(uri.fragment)
    assert carried[0] == ("event", "tennyu") and ("q.from", "domestic") in carried
    assert ("q.moved_on", "2025-06-01") in carried and ("q.card", "no") in carried
    assert "ごみの出し方" in quick_labels(out)  # back at the main menu
    assert await _flow(town, chat.user) is None
    counts = await access_counts(town.db)
    assert [(c.event, c.channel, c.count) for c in counts] == [("tennyu", "line", 1)]


async def test_back_goes_one_question_back_then_to_the_events(town: CounterTown) -> None:
    chat = town.chat()
    out = await chat.tap("action=procedure", "手続きナビ")
    assert "どのような手続きですか" in texts(out) and quick_labels(out) == EVENTS
    out = await chat.tap_quick_reply("出生")
    assert "「出生（お子さんが生まれた）」の手続きをご案内します" in texts(out) and progress(out) == 0
    out = await pick_date(chat, "2025-06-05")  # its first question is the date of birth
    assert "2025年6月5日（木）ですね" in texts(out) and progress(out) > 0
    out = await chat.say("戻る")
    assert "ひとつ前の質問に戻ります。" in texts(out) and progress(out) == 0
    out = await chat.tap_quick_reply("戻る")  # at the first question: back to the events
    assert "手続きの選択に戻ります" in texts(out) and quick_labels(out) == EVENTS
    out = await chat.say("転入")
    assert "「転入（町外からの引っ越し）」の手続きをご案内します" in texts(out) and "どこから引っ越してきましたか" in texts(out)
    counts = {(c.event, c.channel): c.count for c in await access_counts(town.db)}
    assert counts == {("shussei", "line"): 1, ("tennyu", "line"): 1}


async def test_a_question_the_faq_knows_is_answered_not_sent_to_the_events(town: CounterTown) -> None:
    chat = town.chat()
    out = await chat.say("マイナンバーカードを作りたい")  # reads like 「申請書を作りたい」 to the NLU
    assert "交付申請書のQRコード" in texts(out) and "どのような手続きですか" not in texts(out)
    out = await chat.say("手続きナビを使いたい")  # asking for the navigator itself still opens it
    assert "どのような手続きですか" in texts(out) and quick_labels(out) == EVENTS


async def test_date_picker_and_an_old_button(town: CounterTown) -> None:
    chat = town.chat()
    before = await _to_moved_on(chat)
    picker = next(i["action"] for i in before[-1]["quickReply"]["items"] if i["action"]["type"] == "datetimepicker")
    assert (picker["min"], picker["max"], picker["initial"]) == ("2024-06-09", "2025-08-08", "2025-06-09")
    out = await pick_date(chat, "2025-06-02")
    assert "2025年6月2日（月）ですね" in texts(out)
    out = await chat.tap("flow=procedure&q=certificate&v=no", "いいえ・わからない")  # a button two questions back
    assert "このボタンは前の質問のものです" in texts(out) and "マイナンバーカード" in texts(out)
    out = await chat.say("たぶんね")  # neither an option nor anything else: the hint and the question again
    assert "下のボタンから選んでください" in texts(out) and "マイナンバーカード" in texts(out)


async def test_cancel_in_the_middle(town: CounterTown) -> None:
    chat = town.chat()
    await _to_moved_on(chat)
    out = await chat.say("役場の駐車場は無料ですか？")
    assert "（「手続きナビ」の続きです）" in texts(out) and "住み始めた日" in texts(out)
    out = await chat.send_sticker()
    assert "いまは「手続きナビ」の途中です" in texts(out)
    out = await chat.say("やめる")
    assert "「手続きナビ」を中止しました" in texts(out) and "手続きナビ" in quick_labels(out)
    assert await _flow(town, chat.user) is None
    await chat.say("転入の手続きを知りたい")
    town.advance(minutes=31)
    out = await chat.say("こんにちは")
    assert "「手続きナビ」は、しばらく操作がなかったため終了しました" in texts(out)


async def test_a_long_result_is_split_over_messages(town: CounterTown, monkeypatch: pytest.MonkeyPatch) -> None:
    import dialogues.procedure

    monkeypatch.setattr(dialogues.procedure, "CHUNK", 600)
    chat = town.chat()
    await _to_moved_on(chat)
    out = await chat.say("2025年6月1日")
    for _ in range(12):  # 「はい」 wherever there is one: as many procedures as the event has
        labels = quick_labels(out)
        out = await chat.tap_quick_reply("はい" if "はい" in labels else labels[0])
        if "ご回答ありがとうございました" in texts(out):
            break
    parts = [m_ for m_ in out if m_["type"] == "text"]
    assert 2 <= len(parts) <= 3 and all(len(p["text"]) <= 600 for p in parts)
    joined = "\n\n".join(p["text"] for p in parts)
    numbers = [int(n) for n in re.findall(r"^(\d+)\. ", joined, re.M)]
    assert numbers == list(range(1, len(numbers) + 1)) and len(numbers) >= 5  # whole procedures, in order


async def test_the_web_chat_navigates_and_sends_booking_to_line(town: CounterTown) -> None:
    from bot.appkeys import DIALOGUE_HANDLER
    from bot.turn import Turn

    handler = town.app[DIALOGUE_HANDLER]

    async def web(text: str, state: dict[str, Any]) -> list[dict[str, Any]]:
        async with town.db.write() as s:
            turn = Turn("web", "web:" + "1" * 32, {"type": "message", "message": {"type": "text", "text": text}},
                        START, s, state)
            await handler.handle(turn)
        return turn.replies

    state: dict[str, Any] = {}
    out = await web("体育館を予約したい", state)
    assert "施設の予約は、LINE のトーク画面からご利用いただけます" in texts(out)
    assert "カレンダーで見る" in quick_labels(out)
    out = await web("転入の手続きを知りたい", state)
    assert "（0% 完了）" in texts(out) and state["flow"]["name"] == "procedure"
    assert [(c.event, c.channel) for c in await access_counts(town.db)] == [("tennyu", "web")]


async def test_asking_for_shelters_in_the_middle_keeps_the_location_button(town: CounterTown) -> None:
    """「近くの避難所」 asked halfway through 手続きナビ: the answer asks for the citizen's location, and its
    「位置情報を送る」 stays the last thing on screen (the navigator's question does not replace it); the
    location sent gives the shelters, and the navigator is still there to go on with."""
    chat = town.chat()
    await _to_moved_on(chat)
    out = await chat.say("近くの避難所")
    assert "位置情報" in texts(out) and "住み始めた日" not in texts(out)
    assert any(item["action"]["type"] == "location" for item in out[-1]["quickReply"]["items"])
    out = await chat.send_location(35.0, 135.0)
    shelters, _, rest = texts(out).partition("（「手続きナビ」の続きです）")
    assert "避難所" in shelters and "住み始めた日" in rest  # (this town has no shelters registered: it says so)
    assert (await _flow(town, chat.user) or {}).get("name") == "procedure"


async def test_an_item_to_throw_away_named_in_the_middle_is_sorted_then_the_navigator_goes_on(town: CounterTown) -> None:
    """A bare item name where the navigator waits for a date (「ソファ」): the garbage answer, not 「下のボタンから
    選んでください」; the navigator comes back when the garbage answer is done, and still takes the date."""
    chat = town.chat()
    await _to_moved_on(chat)
    out = await chat.say("ソファ")
    sorted_, _, resumed = texts(out).partition("先ほどの「手続きナビ」の続きです")
    assert "【粗大ごみ】" in sorted_ and "下のボタンから選んでください" not in texts(out), texts(out)
    assert "住み始めた日" in resumed and quick_labels(out) == ["日付を選ぶ", "戻る"]
    out = await chat.say("ちょっとわからないです")  # neither a date nor anything else: how to give a date
    assert "日付を入力するか、「日付を選ぶ」から選んでください" in texts(out) and "ボタンから選んでください" not in texts(out)
    out = await chat.say("2025年6月1日")
    assert "住み始めた日" not in texts(out) and (await _flow(town, chat.user) or {}).get("name") == "procedure"
