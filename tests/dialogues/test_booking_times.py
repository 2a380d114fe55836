"""The time a citizen says is the time booked, or the bot asks (issue #13); reservations cancelled
in free text. Through the webhook and linesim, on the demo town's facilities.

The clock stands at Monday 9 June 2025, 10:00; 「来週の土曜」 is Saturday 21 June. みどり山公園の
テニスコート are free-interval courts (8:00–21:00, one hour at a time, one or two hours; cancellable
until two hours before). 桜木体育館 is booked by frames: 午前 9–12, 午後 13–17, 夜間 18–21.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlmodel import select

from civic.booking.models import Reservation
from tests.dialogues.conftest import Chat, quick_labels, texts
from tests.dialogues.counter_town import CounterTown, flex_actions

SAT = date(2025, 6, 21)
TOMORROW = date(2025, 6, 10)
TENNIS = "来週の土曜の{}テニスコートを借りたい"


@pytest.fixture
def town(booking_town: CounterTown) -> CounterTown:
    return booking_town


async def _reservations(town: CounterTown) -> list[Reservation]:
    async with town.db.read() as s:
        return list((await s.exec(select(Reservation).order_by(Reservation.id))).all())


async def _finish_tennis(chat: Chat) -> list[dict[str, Any]]:
    """From the equipment question to the summary: no equipment, 4 people, a resident (テニス was
    said with テニスコート)."""
    out = await chat.tap_quick_reply("備品は使わない")
    assert "人数を、数字で入力してください（定員8人）" in texts(out)
    out = await chat.say("4")
    assert "利用者区分を選んでください" in texts(out)
    out = await chat.tap_quick_reply("町内在住")
    assert "利用上の遵守事項" in texts(out)
    out = await chat.tap_quick_reply("同意する")
    assert "以下の内容で予約します" in texts(out)
    return out


async def test_evening_for_two_hours_asks_which_two_hours(town: CounterTown) -> None:
    chat = town.chat()
    out = await chat.say(TENNIS.format("夜に2時間"))
    assert "（2025年6月21日(土)、夜に2時間）" in texts(out)
    out = await chat.tap_quick_reply("1番コート")
    assert "1番コートで、夜に2時間ご利用いただける時間帯です" in texts(out)
    assert quick_labels(out) == ["17:00〜19:00（2時間）", "18:00〜20:00（2時間）", "19:00〜21:00（2時間）",
                                 "別の日にする", "カレンダーで見る"]
    out = await chat.tap_quick_reply("18:00〜20:00（2時間）")
    assert "6月21日(土) 18:00〜20:00（2時間）ですね" in texts(out)
    out = await _finish_tennis(chat)
    assert "・日時：2025年6月21日(土) 18:00〜20:00" in texts(out) and "・使用料：800円" in texts(out)
    out = await chat.tap_quick_reply("予約する")
    assert "予約番号は 2506-00001" in texts(out)
    [r] = await _reservations(town)
    assert (r.day, r.start_minute, r.end_minute) == (SAT, 18 * 60, 20 * 60)


async def test_a_start_and_a_length_are_booked_as_said(town: CounterTown) -> None:
    chat = town.chat()
    await chat.say(TENNIS.format("18時から2時間"))
    out = await chat.tap_quick_reply("2番コート")
    assert "6月21日(土) 18:00〜20:00（2時間）ですね" in texts(out) and "備品や附属設備" in texts(out)
    await _finish_tennis(chat)
    await chat.tap_quick_reply("予約する")
    [r] = await _reservations(town)
    assert (r.start_minute, r.end_minute) == (18 * 60, 20 * 60)


async def test_a_length_the_court_cannot_give_is_asked_not_changed(town: CounterTown) -> None:
    chat = town.chat()
    await chat.say(TENNIS.format("1時間半"))
    out = await chat.tap_quick_reply("1番コート")
    said = texts(out)
    assert "1時間半のご予約はできません。1番コートのご利用は1時間単位で、1時間から2時間までです。" in said
    assert "時間）ですね" not in said and "備品" not in said  # nothing taken
    labels = quick_labels(out)
    assert labels[:2] == ["8:00〜10:00（2時間）", "9:00〜11:00（2時間）"] and "もっと見る" in labels
    out = await chat.say("やめる")
    await chat.say(TENNIS.format("午後いっぱい"))
    out = await chat.tap_quick_reply("1番コート")
    assert "午後いっぱいのご予約はできません" in texts(out) and "1時間から2時間までです" in texts(out)
    assert quick_labels(out)[:4] == ["12:00〜14:00（2時間）", "13:00〜15:00（2時間）", "14:00〜16:00（2時間）",
                                     "15:00〜17:00（2時間）"]
    out = await chat.say("14時から2時間")  # typed at the time question: exact, taken
    assert "6月21日(土) 14:00〜16:00（2時間）ですね" in texts(out)
    assert await _reservations(town) == []


async def test_a_frame_is_never_shortened_silently(town: CounterTown) -> None:
    chat = town.chat()
    await chat.say("来週の土曜の夜に2時間桜木体育館を借りたい")
    out = await chat.tap_quick_reply("全面")
    said = texts(out)
    assert "こちらは時間帯（枠）ごとのご予約のため、「夜に2時間」ではお取りできません。" in said
    assert "夜の枠は 夜間 18:00〜21:00（3時間）です。" in said and "21:00ですね" not in said
    assert quick_labels(out)[:3] == ["夜間 18:00〜21:00", "午前 9:00〜12:00", "午後 13:00〜17:00"]
    out = await chat.tap_quick_reply("夜間 18:00〜21:00")  # the citizen's own choice, three hours
    assert "6月21日(土) 夜間 18:00〜21:00ですね" in texts(out)
    await chat.say("やめる")
    await chat.say("来週の土曜の午後いっぱい桜木体育館を借りたい")
    out = await chat.tap_quick_reply("全面")
    assert "6月21日(土) 午後 13:00〜17:00ですね" in texts(out)  # the whole afternoon is the 午後 frame
    await chat.say("やめる")
    await chat.say("来週の土曜の19時から桜木体育館を借りたい")
    out = await chat.tap_quick_reply("全面")
    assert "19:00から始まる枠はありません。" in texts(out) and "備品" not in texts(out)


async def test_tomorrows_reservation_is_cancelled_in_free_text(town: CounterTown) -> None:
    chat = town.chat()
    court = await town.unit_id("テニスコート", "1番コート")
    gym = await town.unit_id("桜木", "全面")
    tomorrow = await town.book(chat.user, court, TOMORROW, (18 * 60, 20 * 60), purpose="テニス", people=4)
    saturday = await town.book(chat.user, gym, SAT, (540, 720), purpose="バレーボール", people=4)
    out = await chat.say("明日の予約をキャンセルして")
    said = texts(out)
    assert "次のご予約を取り消します。よろしいですか？" in said and f"予約番号：{tomorrow.number}" in said
    assert "2025年6月10日(火) 18:00〜20:00" in said and saturday.number not in said
    assert quick_labels(out) == ["取り消す", "取り消さない"]
    out = await chat.tap_quick_reply("取り消す")
    assert f"予約番号 {tomorrow.number} のご予約を取り消しました" in texts(out)
    rows = {r.number: r for r in await _reservations(town)}
    assert (rows[tomorrow.number].status, rows[saturday.number].status) == ("cancelled", "confirmed")


async def test_free_text_cancel_names_none_or_several(town: CounterTown) -> None:
    chat = town.chat()
    court, dogrun = await town.unit_id("テニスコート", "1番コート"), await town.unit_id("ドッグラン", "全エリア貸切")
    await town.book(chat.user, court, TOMORROW, (9 * 60, 10 * 60), purpose="テニス", people=4)
    await town.book(chat.user, dogrun, TOMORROW, (15 * 60, 16 * 60), purpose="しつけ教室", people=4)
    out = await chat.say("明後日の予約を取り消したい")
    assert "2025年6月11日(水)のご予約は見つかりませんでした。" in texts(out)
    assert "ご予約は2件です。取り消すご予約の「取消」を押してください。" in texts(out)
    out = await chat.say("明日の予約をキャンセルしたい")
    assert "2025年6月10日(火)のご予約は2件です。取り消すご予約の「取消」を押してください。" in texts(out)
    assert [a["label"] for a in flex_actions(out[-1])] == ["変更", "取消", "変更", "取消"]


async def test_free_text_cancel_while_making_another_booking(town: CounterTown) -> None:
    chat = town.chat()
    court = await town.unit_id("テニスコート", "1番コート")
    booked = await town.book(chat.user, court, TOMORROW, (18 * 60, 19 * 60), purpose="テニス", people=4)
    await chat.say("来週の土曜に桜木体育館を借りたい")
    out = await chat.say("明日の予約をキャンセルして")
    said = texts(out)
    assert "入力中の新しいご予約は、ここで取りやめます。" in said
    assert "次のご予約を取り消します。よろしいですか？" in said and booked.number in said
    await chat.tap_quick_reply("取り消す")
    assert [r.status for r in await _reservations(town)] == ["cancelled"]
