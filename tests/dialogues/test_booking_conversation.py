"""Facility booking as whole conversations through the webhook and linesim (国富町 §8 表4).

The demo town's facilities are seeded (no random bookings); the clock stands at Monday 9 June 2025,
10:00, so 「来週の土曜」 is Saturday 21 June. 桜木体育館 has frames 9–12 (午前), 13–17 (午後) and
18–21 (夜間); its whole court costs 800 yen an hour for residents (1,600 outside); bookings open two
months ahead, close 24 hours before, and can be cancelled until 48 hours before.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import pytest
from sqlmodel import select

from civic.booking.models import BookerProfile, Reservation, ReservedEquipment, WaitlistEntry
from civic.citizens.models import Citizen
from civic.clock import FrozenClock
from civic.mypage.models import MailMessage, MyPageEmail, MyPageNotice
from conversation.state import ConversationState
from linesim.testing import LineSim
from tests.dialogues.conftest import START, Chat, quick_labels, texts
from tests.dialogues.counter_town import CounterTown, flex_actions, pick_date

SAT = date(2025, 6, 21)
MORNING, AFTERNOON, NIGHT = (540, 720), (780, 1020), (1080, 1260)


@pytest.fixture
def town(booking_town: CounterTown) -> CounterTown:
    return booking_town


@pytest.fixture
async def any_town(line_sim: LineSim, knowledge: Any, database_url: str,
                   aiohttp_client: Any) -> AsyncIterator[CounterTown]:
    """The same, on SQLite and on PostgreSQL."""
    t = CounterTown(line_sim, knowledge, database_url, FrozenClock(START), aiohttp_client)
    await t.start()
    await t.seed_facilities()
    yield t


async def _reservations(town: CounterTown) -> list[Reservation]:
    async with town.db.read() as s:
        return list((await s.exec(select(Reservation).order_by(Reservation.id))).all())


async def _flow(town: CounterTown, user: str) -> dict[str, Any] | None:
    async with town.db.read() as s:
        row = await s.get(ConversationState, user)
    return json.loads(row.data).get("flow") if row else None


async def _to_summary(chat: Chat, *, unit: str = "全面", frame: str = "午後 13:00〜17:00") -> list[dict[str, Any]]:
    """From 「来週の土曜に桜木体育館を借りたい」 to the summary, as a resident, without equipment."""
    out = await chat.say("来週の土曜に桜木体育館を借りたい")
    assert "みどり町桜木体育館のどちらをご利用になりますか" in texts(out)
    await chat.tap_quick_reply(unit)
    await chat.tap_quick_reply(frame)
    await chat.tap_quick_reply("備品は使わない")
    await chat.tap_quick_reply("バレーボール")
    out = await chat.say("12")
    assert "12人ですね" in texts(out) and "利用者区分を選んでください" in texts(out)  # a new citizen: asked once
    out = await chat.tap_quick_reply("町内在住")
    assert "利用上の遵守事項" in texts(out)
    out = await chat.tap_quick_reply("同意する")
    assert "以下の内容で予約します" in texts(out)
    return out


async def test_one_sentence_to_a_reservation_number(any_town: CounterTown) -> None:
    town = any_town
    chat = town.chat("山田花子")
    out = await chat.say("来週の土曜に体育館を借りたい")
    assert "施設のご予約ですね（2025年6月21日(土)）" in texts(out)
    assert "どちらの施設をご予約になりますか" in texts(out)
    labels = quick_labels(out)
    assert labels[:3] == ["アリーナみどり", "桜木体育館", "本郷東部体育館"] and labels[-1] == "カレンダーで見る"
    assert out[-1]["quickReply"]["items"][-1]["action"]["uri"] == "http://madoguchi.test/liff/booking/"

    out = await chat.tap_quick_reply("桜木体育館")
    assert quick_labels(out) == ["全面", "半面（東側）", "半面（西側）"]
    out = await chat.tap_quick_reply("全面")
    # the date came with the sentence: straight to that day's free frames (no date picker)
    assert "2025年6月21日(土)の全面の空いている時間帯です" in texts(out)
    assert quick_labels(out)[:4] == ["午前 9:00〜12:00", "午後 13:00〜17:00", "夜間 18:00〜21:00", "別の日にする"]

    out = await chat.tap_quick_reply("午後 13:00〜17:00")
    assert "備品や附属設備" in texts(out) and "選択中：なし" in texts(out)
    await chat.tap_quick_reply("卓球台")
    out = await chat.tap_quick_reply("卓球台")
    assert "選択中：卓球台 2台" in texts(out)
    out = await chat.tap_quick_reply("これで決定")
    assert "利用目的を選んでください" in texts(out)
    out = await chat.say("バレーボール")  # typed rather than tapped
    assert "人数を、数字で入力してください（定員120人）" in texts(out)
    out = await chat.say("１２人")
    assert "12人ですね" in texts(out) and "利用者区分を選んでください" in texts(out)
    out = await chat.tap_quick_reply("町内在住")
    assert "利用上の遵守事項" in texts(out) and "室内用の運動靴" in texts(out)
    assert quick_labels(out) == ["同意する", "同意しない"]
    out = await chat.tap_quick_reply("同意する")
    summary = texts(out)
    assert "以下の内容で予約します" in summary
    for line in ("・施設：みどり町桜木体育館 全面", "・日時：2025年6月21日(土) 13:00〜17:00", "・利用目的：バレーボール",
                 "・人数：12人", "・備品：卓球台 2台", "・利用者区分：町内在住", "・使用料：3,400円"):
        assert line in summary
    assert quick_labels(out)[:2] == ["予約する", "日時を変える"]

    await _verified_email(town, chat.user, "hanako@example.jp")
    out = await chat.tap_quick_reply("予約する")
    assert "ご予約を承りました。予約番号は 2506-00001 です。" in texts(out)
    assert quick_labels(out) == ["予約の確認", "メニュー"]
    async with town.db.read() as s:  # in マイページのお知らせ, and by e-mail to the verified address (国富町 表4 no.4)
        [notice] = (await s.exec(select(MyPageNotice).where(MyPageNotice.kind == "booking.confirmed"))).all()
        [mail] = (await s.exec(select(MailMessage).where(MailMessage.kind == "booking.confirmed"))).all()
    assert "2506-00001" in notice.body and mail.to_address == "hanako@example.jp" and "桜木体育館" in mail.text
    [r] = await _reservations(town)
    assert (r.number, r.status, r.source, r.channel_user_id) == ("2506-00001", "confirmed", "chat", chat.user)
    assert (r.day, r.start_minute, r.end_minute, r.people, r.purpose, r.fee) == (SAT, *AFTERNOON, 12, "バレーボール", 3400)
    assert r.terms_accepted_at is not None and r.resident_type == "resident"
    async with town.db.read() as s:
        [eq] = (await s.exec(select(ReservedEquipment))).all()
        profile = (await s.exec(select(BookerProfile))).one()
    assert (eq.reservation_id, eq.quantity) == (r.id, 2)
    assert (profile.channel_user_id, profile.resident_type) == (chat.user, "resident")
    assert await _flow(town, chat.user) is None


async def test_what_the_sentence_says_is_not_asked_again(town: CounterTown) -> None:
    chat = town.chat()
    await town.booking.save_profile(chat.user, name=None, phone=None, resident_type="outside")
    out = await chat.say("6月22日の午前に桜木体育館の半面を8人で借りたい")
    assert "（2025年6月22日(日)、午前、8人）" in texts(out)
    assert quick_labels(out) == ["半面（東側）", "半面（西側）"]  # only the half courts
    out = await chat.tap_quick_reply("半面（東側）")
    assert "備品や附属設備" in texts(out)  # 午前 was taken from the sentence: no frame question
    await chat.tap_quick_reply("夜間照明")
    out = await chat.tap_quick_reply("夜間照明")
    assert "夜間照明は1式までです" in texts(out) and "選択中：夜間照明 1式" in texts(out)
    out = await chat.tap_quick_reply("選び直す")
    assert "選び直してください" in texts(out) and "選択中：なし" in texts(out)
    out = await chat.tap_quick_reply("備品は使わない")
    assert "利用目的を選んでください" in texts(out)
    out = await chat.tap_quick_reply("バドミントン")
    assert "人数" not in texts(out) and "利用者区分" not in texts(out)  # known: 8 people, outside the town
    out = await chat.tap_quick_reply("同意する")
    assert "・日時：2025年6月22日(日) 9:00〜12:00" in texts(out) and "・人数：8人" in texts(out)
    assert "・利用者区分：町外" in texts(out) and "・使用料：2,400円" in texts(out)  # 800 yen an hour outside
    out = await chat.tap_quick_reply("区分を変える")
    assert quick_labels(out) == ["町内在住", "町内在学", "町内在勤", "町外"]
    out = await chat.tap_quick_reply("町内在勤")  # the terms were agreed already: straight back to the summary
    assert "以下の内容で予約します" in texts(out)
    assert "・利用者区分：町内在勤" in texts(out) and "・使用料：1,200円" in texts(out)
    out = await chat.tap_quick_reply("予約する")
    assert "予約番号は 2506-00001" in texts(out)
    [r] = await _reservations(town)
    assert (r.resident_type, r.fee, r.people, r.purpose) == ("worker", 1200, 8, "バドミントン")


async def test_the_date_picker_and_a_day_without_free_frames(town: CounterTown) -> None:
    whole = await town.unit_id("桜木", "全面")
    for i, frame in enumerate((MORNING, AFTERNOON, NIGHT)):
        await town.book(f"Uother{i}", whole, SAT, frame)
    chat = town.chat()
    out = await chat.tap("action=booking", "施設の予約")
    assert "どちらの施設をご予約になりますか" in texts(out)
    await chat.tap_quick_reply("桜木体育館")
    out = await chat.tap_quick_reply("全面")
    assert "ご利用になる日を" in texts(out)
    picker = next(i["action"] for i in out[-1]["quickReply"]["items"] if i["action"]["type"] == "datetimepicker")
    assert (picker["mode"], picker["min"], picker["initial"]) == ("date", "2025-06-10", "2025-06-10")
    assert picker["max"] >= "2025-08-09"  # two months ahead
    assert quick_labels(out)[-1] == "カレンダーで見る"

    out = await pick_date(chat, "2025-06-16")  # a Monday: closed
    assert "2025年6月16日(月)は休館日です" in texts(out)
    out = await pick_date(chat, "2025-06-21")
    assert "2025年6月21日(土)は、空いている時間帯がありません" in texts(out)
    labels = quick_labels(out)
    assert labels[:2] == ["6月22日(日)", "6月20日(金)"] and "6月23日(月)" not in labels  # the nearest open days
    out = await chat.tap_quick_reply("6月22日(日)")
    assert "2025年6月22日(日)の全面の空いている時間帯です" in texts(out)
    out = await chat.say("じゃあ24日は？")  # another day, typed at the frame step
    assert "2025年6月24日(火)の全面の空いている時間帯です" in texts(out)
    out = await chat.say("夜")
    assert "6月24日(火) 夜間 18:00〜21:00ですね" in texts(out)


async def test_a_slot_taken_meanwhile_is_answered_with_alternatives(any_town: CounterTown) -> None:
    town = any_town
    chat = town.chat()
    await _to_summary(chat)
    await town.book("Uquicker", await town.unit_id("桜木", "全面"), SAT, AFTERNOON)  # someone else, just now
    out = await chat.tap_quick_reply("予約する")
    body = texts(out)
    assert "その枠はたった今ほかの方が予約されました" in body and "代わりに、次の枠が空いています" in body
    assert "1. 2025年6月21日(土) 9:00〜12:00 全面" in body and "2. 2025年6月21日(土) 18:00〜21:00 全面" in body
    labels = quick_labels(out)
    assert labels[:2] == ["1. 6/21 9:00〜", "2. 6/21 18:00〜"]
    assert "キャンセル待ちに登録" in labels and "別の日を選ぶ" in labels
    out = await chat.tap_quick_reply("2. 6/21 18:00〜")
    assert "・日時：2025年6月21日(土) 18:00〜21:00" in texts(out)
    out = await chat.tap_quick_reply("予約する")
    assert "予約番号は 2506-00002" in texts(out)
    mine = [r for r in await _reservations(town) if r.channel_user_id == chat.user]
    assert [(r.start_minute, r.status) for r in mine] == [(NIGHT[0], "confirmed")]


async def test_a_waitlist_offer_accepted(any_town: CounterTown) -> None:
    town = any_town
    first, second = town.chat("先に予約した人"), town.chat("キャンセル待ちの人")
    await _to_summary(second)
    await town.book(first.user, await town.unit_id("桜木", "全面"), SAT, AFTERNOON)
    await second.tap_quick_reply("予約する")
    out = await second.tap_quick_reply("キャンセル待ちに登録")
    assert "キャンセル待ちに登録しました（1番目）" in texts(out)
    async with town.db.read() as s:
        [entry] = (await s.exec(select(WaitlistEntry))).all()
    assert (entry.channel_user_id, entry.status) == (second.user, "waiting")

    # the first citizen cancels in the talk; the freed slot is offered to the second one
    out = await first.say("予約を取り消したい")
    assert "ご予約は1件です" in texts(out)
    [change, cancel] = flex_actions(out[-1])
    assert (change["label"], cancel["label"]) == ("変更", "取消")
    out = await first.tap(cancel["data"], cancel["displayText"])
    assert "次のご予約を取り消します" in texts(out) and "予約番号：2506-00001" in texts(out)
    out = await first.tap_quick_reply("取り消す")
    assert "予約番号 2506-00001 のご予約を取り消しました" in texts(out)

    offer = second._new()
    assert "【キャンセル待ちのご案内】" in texts(offer) and quick_labels(offer) == ["予約する", "辞退する"]
    assert offer[-1]["quickReply"]["items"][0]["action"]["data"].startswith("booking.offer.accept:")
    out = await second.tap_quick_reply("予約する")
    assert "キャンセル待ちの枠をご予約しました。予約番号は 2506-00002 です" in texts(out)
    assert "6月21日(土) 13:00〜17:00" in texts(out)
    [_, offered] = await _reservations(town)
    assert (offered.channel_user_id, offered.status, offered.number) == (second.user, "confirmed", "2506-00002")
    out = await second.tap(offer[-1]["quickReply"]["items"][1]["action"]["data"], "辞退する")
    assert "このご案内はすでに終了しています" in texts(out)  # the offer is over: nothing changes
    assert (await _reservations(town))[1].status == "confirmed"


async def test_cancel_within_the_deadline_and_not_after(town: CounterTown) -> None:
    chat = town.chat()
    whole = await town.unit_id("桜木", "全面")
    near = await town.book(chat.user, whole, date(2025, 6, 14), MORNING)
    later = await town.book(chat.user, whole, SAT, MORNING)
    out = await chat.tap("action=booking&op=mine", "予約の確認")
    assert "ご予約は2件です" in texts(out) and out[-1]["type"] == "flex"
    assert [a["label"] for a in flex_actions(out[-1])] == ["変更", "取消", "変更", "取消"]
    cancel_near = flex_actions(out[-1])[1]
    assert near.number in cancel_near["data"]
    out = await chat.tap(cancel_near["data"], cancel_near["displayText"])
    assert "2025年6月14日(土) 9:00〜12:00" in texts(out)
    out = await chat.tap_quick_reply("取り消す")
    assert f"予約番号 {near.number} のご予約を取り消しました" in texts(out)
    rows = {r.number: r for r in await _reservations(town)}
    assert (rows[near.number].status, rows[near.number].cancelled_by) == ("cancelled", "citizen")

    town.advance(days=10)  # Thursday 19 June 10:00: 47 hours before Saturday 9:00
    out = await chat.say("予約を確認したい")
    assert "ご予約は1件です" in texts(out) and "変更・取消の受付期限を過ぎています" in texts(out)
    assert flex_actions(out[-1]) == []
    out = await chat.tap(f"action=booking&op=cancel&no={later.number}&restart=1", "取消")  # an old button
    assert "取消の受付期限（ご利用の48時間前）を過ぎています" in texts(out)
    assert "0000-00-2411" in texts(out)  # the facility's phone
    assert (await _reservations(town))[1].status == "confirmed"


async def test_change_the_date_and_frame(town: CounterTown) -> None:
    chat = town.chat()
    booked = await town.book(chat.user, await town.unit_id("桜木", "全面"), SAT, MORNING)
    out = await chat.tap(f"action=booking&op=change&no={booked.number}&restart=1", "変更")
    assert f"予約番号 {booked.number}（みどり町桜木体育館 全面、2025年6月21日(土) 9:00〜12:00）の日時を変更します" in texts(out)
    out = await pick_date(chat, "2025-06-22")
    out = await chat.tap_quick_reply("午後 13:00〜17:00")
    assert "変更前：2025年6月21日(土) 9:00〜12:00" in texts(out) and "変更後：2025年6月22日(日) 13:00〜17:00" in texts(out)
    out = await chat.tap_quick_reply("変更する")
    assert f"ご予約を変更しました。予約番号は {booked.number} のままです" in texts(out) and "使用料：3,200円" in texts(out)
    [r] = await _reservations(town)
    assert (r.day, r.start_minute, r.end_minute, r.fee, r.status) == (date(2025, 6, 22), *AFTERNOON, 3200, "confirmed")


async def test_a_refused_change_whose_unit_is_gone_ends_politely(town: CounterTown) -> None:
    chat = town.chat()
    booked = await town.book(chat.user, await town.unit_id("桜木", "全面"), SAT, MORNING)
    await chat.tap(f"action=booking&op=change&no={booked.number}&restart=1", "変更")
    await pick_date(chat, "2025-06-22")
    out = await chat.tap_quick_reply("午後 13:00〜17:00")
    assert "変更後：2025年6月22日(日) 13:00〜17:00" in texts(out)
    async with town.db.write() as s:  # the unit the change was for no longer exists
        row = await s.get(ConversationState, chat.user)
        assert row is not None
        raw = json.loads(row.data)
        raw["flow"]["data"]["unit_id"] = 999_999
        row.data = json.dumps(raw, ensure_ascii=False)
        s.add(row)
    out = await chat.tap_quick_reply("変更する")
    assert "申し訳ありません。その日時には変更できません。" in texts(out)
    assert await _flow(town, chat.user) is None
    [r] = await _reservations(town)
    assert (r.day, r.start_minute, r.end_minute, r.status) == (SAT, *MORNING, "confirmed")


async def test_refusals_are_shown_as_they_are(town: CounterTown) -> None:
    chat = town.chat()
    whole = await town.unit_id("桜木", "全面")
    await town.book(chat.user, whole, SAT, MORNING)
    await town.book(chat.user, whole, SAT, NIGHT)
    out = await chat.say("来週の土曜に桜木体育館を借りたい")
    await chat.tap_quick_reply("半面（東側）")
    await chat.tap_quick_reply("午後 13:00〜17:00")
    await chat.tap_quick_reply("備品は使わない")
    await chat.tap_quick_reply("バレーボール")
    out = await chat.say("500人")
    assert "半面（東側）の定員は60人です" in texts(out)
    await chat.say("20")
    await chat.tap_quick_reply("町内在住")
    out = await chat.tap_quick_reply("同意する")
    assert "このままではご予約をお受けできません" in texts(out)
    assert "みどり町桜木体育館のご予約は1日2件までです。" in texts(out)  # the rule's own words
    assert quick_labels(out) == ["日時を選び直す", "やめる"]
    out = await chat.tap_quick_reply("日時を選び直す")
    out = await pick_date(chat, "2025-06-22")
    out = await chat.tap_quick_reply("午後 13:00〜17:00")
    assert "以下の内容で予約します" in texts(out) and "2025年6月22日(日) 13:00〜17:00" in texts(out)


async def test_cancel_catch_all_interruption_and_timeout(town: CounterTown) -> None:
    chat = town.chat()
    await chat.tap("action=booking", "施設の予約")
    out = await chat.tap_quick_reply("桜木体育館")
    out = await chat.send_sticker()
    assert "いまは「施設の予約」の途中です" in texts(out) and "どちらをご利用になりますか" in texts(out)
    out = await chat.say("役場の駐車場は無料ですか？")
    assert "（「施設の予約」の続きです）" in texts(out) and "どちらをご利用になりますか" in texts(out)
    out = await chat.say("やめる")
    assert "「施設の予約」を中止しました" in texts(out) and "ごみの出し方" in quick_labels(out)
    assert await _flow(town, chat.user) is None

    await chat.say("体育館を予約したい")
    town.advance(minutes=31)
    out = await chat.say("こんにちは")
    assert "「施設の予約」は、しばらく操作がなかったため終了しました" in texts(out)
    assert not await _reservations(town)



async def test_an_offer_declined_from_my_reservations(town: CounterTown) -> None:
    """While a waitlist offer stands, 「予約を確認したい」 shows it with buttons of its own, in the one
    postback grammar (``offer=accept|decline&no=…``); they are answered as the notice's are."""
    from civic.booking.types import Booker, BookingRequest, Cancelled, WaitlistJoined

    unit = await town.unit_id("桜木", "全面")
    taken = await town.book("Uearlier", unit, SAT, AFTERNOON)
    chat = town.chat("キャンセル待ちの人")
    wish = BookingRequest(unit, SAT, *AFTERNOON, people=10, purpose="バレーボール", terms_accepted=True)
    assert isinstance(await town.booking.join_waitlist(wish, Booker(chat.user)), WaitlistJoined)
    assert isinstance(await town.booking.cancel(Booker("Uearlier"), taken.number or ""), Cancelled)
    await town.settle()
    assert "【キャンセル待ちのご案内】" in texts(chat._new())
    out = await chat.say("予約を確認したい")
    buttons = {a["label"]: a["data"] for a in flex_actions(out[-1])}
    assert buttons["辞退する"].startswith("offer=decline&no=") and buttons["予約する"].startswith("offer=accept&no=")
    out = await chat.tap(buttons["辞退する"], "辞退する")
    assert "キャンセル待ちのご案内を辞退しました" in texts(out)
    assert [r.status for r in await _reservations(town) if r.channel_user_id == chat.user] == ["cancelled"]


async def _verified_email(town: CounterTown, user: str, address: str) -> None:
    async with town.db.write() as s:
        citizen = (await s.exec(select(Citizen).where(Citizen.channel_user_id == user))).one()
        assert citizen.id is not None
        s.add(MyPageEmail(citizen_id=citizen.id, address=address, digest="d" * 64, unsubscribe_token="u" * 43,
                          verified_at=town.clock.now(), created_at=town.clock.now()))
