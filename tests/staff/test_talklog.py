"""Talk-log search on both backends, and what a role without personal.view sees."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from civic.database import Database
from civic.staff import talklog
from civic.staff.privacy import Pseudonymizer, mask_text
from civic.talklog.models import TalkEntry

T0 = datetime(2026, 11, 20, 0, 0, tzinfo=UTC)
ALICE = "U" + "a" * 32
BOB = "U" + "b" * 32


async def _seed(db: Database) -> None:
    rows = [
        (ALICE, "in", "粗大ごみの出し方を教えて", "garbage", "garbage"),
        (ALICE, "out", "粗大ごみは予約制です。", None, "garbage"),
        (BOB, "in", "電話番号は090-1234-5678です", "nlu_fallback", None),
        (BOB, "in", "体育館を予約したい", "booking", "booking"),
    ]
    async with db.write() as s:
        for i, (user, direction, text, intent, flow) in enumerate(rows):
            s.add(TalkEntry(channel_user_id=user, direction=direction, kind="text", text=text, intent=intent,
                            flow=flow, at=T0 + timedelta(minutes=i)))


async def test_filters_combine_and_text_is_searched_after_decryption(db: Database) -> None:
    await _seed(db)
    found = await talklog.search(db, talklog.TalkQuery(text="粗大ごみ"))
    assert [e.direction for e in found] == ["in", "out"]
    found = await talklog.search(db, talklog.TalkQuery(text="粗大ごみ", direction="out"))
    assert [e.text for e in found] == ["粗大ごみは予約制です。"]
    found = await talklog.search(db, talklog.TalkQuery(channel_user_id=BOB, intent="booking"))
    assert [e.text for e in found] == ["体育館を予約したい"]
    found = await talklog.search(db, talklog.TalkQuery(since=T0 + timedelta(minutes=1), until=T0 + timedelta(minutes=3)))
    assert len(found) == 2
    paged = [e.id async for e in talklog.iterate(db, talklog.TalkQuery(), batch=1)]
    assert len(paged) == 4 and paged == sorted(paged)
    assert [e.id for e in await talklog.search(db, talklog.TalkQuery(), limit=2, offset=1)] == paged[1:3]


async def test_without_personal_view_users_are_pseudonyms_and_numbers_masked(db: Database) -> None:
    await _seed(db)
    pseudonym = Pseudonymizer(db.cipher)
    rows = await talklog.search(db, talklog.TalkQuery(channel_user_id=BOB))
    masked = [talklog.entry_view(e, personal=False, pseudonym=pseudonym) for e in rows]
    full = [talklog.entry_view(e, personal=True, pseudonym=pseudonym) for e in rows]
    assert full[0]["user"] == BOB and "090-1234-5678" in full[0]["text"]
    assert masked[0]["user"].startswith("利用者-") and masked[0]["user"] == masked[1]["user"] != BOB
    assert "090" not in masked[0]["text"] and masked[0]["text"].startswith("電話番号は＊")
    assert masked[1]["text"] == "体育館を予約したい"
    assert pseudonym(ALICE) != pseudonym(BOB)


def test_masking_leaves_ordinary_text_and_dates_alone() -> None:
    assert mask_text("2026-11-21 の 10時 に 3 人で") == "2026-11-21 の 10時 に 3 人で"
    assert "example" not in mask_text("連絡先 taro@example.jp まで")
    assert "880" not in mask_text("〒880-1101 宮崎県")
    assert "0985" not in mask_text("役場 0985-75-3111")
